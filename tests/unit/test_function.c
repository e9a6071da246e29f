/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lambda/function.c: CreateFunction validation (defaults, each
 * constraint with its exception and exact text, several violations in one
 * message, the order of precedence between exception types), updates,
 * FunctionConfiguration JSON, the store round trip and reference counting.
 * Bodies are written as JSON text with single quotes for readability; body()
 * turns them into double quotes before parsing.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <cjson/cJSON.h>

#include "base/err.h"
#include "base/limits.h"
#include "catalog/function.h"
#include "catalog/runtimes.h"

#define REGION  "us-east-1"
#define ACCOUNT "123456789012"
#define ROLE    "arn:aws:iam::123456789012:role/lambda-role"

/* JSON fragments: the members of a valid CreateFunction body without Runtime
 * and Handler (cJSON takes the first of duplicate keys, so tests that vary
 * those two start from NRH), and the whole valid body. */
#define NRH                                                                                        \
    "'FunctionName':'fn','Role':'" ROLE "','Code':{'ZipFile':'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=='}"
#define BASE NRH ",'Runtime':'python3.12','Handler':'app.handler'"

/* Parses text with ' standing for ". */
static cJSON *body(const char *text)
{
    char *t = strdup(text);
    assert_non_null(t);
    for (char *p = t; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *b = cJSON_Parse(t);
    if (b == NULL)
        fail_msg("bad test JSON: %s", t);
    free(t);
    return b;
}

struct result {
    int rc;
    struct function *fn;
    char msg[2048];
};

static void create(const char *text, struct result *r)
{
    cJSON *b = body(text);
    r->fn = NULL;
    snprintf(r->msg, sizeof(r->msg), "(untouched)");
    r->rc = function_from_create(b, REGION, ACCOUNT, &r->fn, r->msg, sizeof(r->msg));
    cJSON_Delete(b);
    if (r->rc != 0)
        assert_null(r->fn); /* out-params are written only on success */
}

static struct function *create_ok(const char *text)
{
    struct result r;
    create(text, &r);
    if (r.rc != 0)
        fail_msg("function_from_create failed: %d %s", r.rc, r.msg);
    assert_non_null(r.fn);
    return r.fn;
}

static void expect_error(const char *text, int rc, const char *msg)
{
    struct result r;
    create(text, &r);
    if (r.rc != rc)
        fail_msg("rc %s (%s), want %s; body %s", err_name(r.rc), r.msg, err_name(rc), text);
    if (msg != NULL && strcmp(r.msg, msg) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", r.msg, msg);
}

/* Like expect_error, but msg need only be a prefix of the message. */
static void expect_error_prefix(const char *text, int rc, const char *prefix)
{
    struct result r;
    create(text, &r);
    if (r.rc != rc)
        fail_msg("rc %s (%s), want %s; body %s", err_name(r.rc), r.msg, err_name(rc), text);
    if (strncmp(r.msg, prefix, strlen(prefix)) != 0)
        fail_msg("message\n  got:  %s\n  want: %s...", r.msg, prefix);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void check_lastmod(const char *s)
{
    /* 2020-04-10T19:06:32.563+0000 */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd+0000";
    assert_int_equal(strlen(s), strlen(shape));
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd')
            assert_true(isdigit((unsigned char)s[i]));
        else
            assert_int_equal(s[i], shape[i]);
    }
}

static void check_uuid(const char *s)
{
    assert_int_equal(strlen(s), 36);
    assert_int_equal(s[8], '-');
    assert_int_equal(s[14], '4');
}

/* ---- create: the valid case ---- */

static void test_create_defaults(void **state)
{
    (void)state;
    struct function *fn = create_ok("{" BASE "}");
    assert_int_equal(fn->refs, 1);
    assert_string_equal(fn->name, "fn");
    assert_string_equal(fn->arn, "arn:aws:lambda:us-east-1:123456789012:function:fn");
    assert_string_equal(fn->runtime, "python3.12");
    assert_non_null(fn->rt);
    assert_string_equal(fn->rt->id, "python3.12");
    assert_int_equal(fn->rt->family, RT_PYTHON);
    assert_string_equal(fn->handler, "app.handler");
    assert_string_equal(fn->role, ROLE);
    assert_string_equal(fn->description, "");
    assert_int_equal(fn->timeout_s, 3);
    assert_int_equal(fn->memory_mb, 128);
    assert_int_equal(fn->ephemeral_mb, 512);
    assert_null(fn->env);
    assert_string_equal(fn->arch, "x86_64");
    assert_string_equal(fn->tracing, "PassThrough");
    assert_string_equal(fn->code_hex, ""); /* no code fields yet */
    assert_string_equal(fn->code_b64, "");
    assert_int_equal(fn->code_size, 0);
    check_lastmod(fn->last_modified);
    check_uuid(fn->revision_id);
    function_unref(fn);
}

static void test_create_all_fields(void **state)
{
    (void)state;
    struct function *fn = create_ok(
        "{" BASE ",'Description':'hello','Timeout':900,'MemorySize':10240,"
        "'EphemeralStorage':{'Size':10240},'Environment':{'Variables':{'A_1':'x','bB':''}},"
        "'TracingConfig':{'Mode':'Active'},'Architectures':['arm64'],'Layers':[],"
        "'PackageType':'Zip','Publish':false}");
    assert_string_equal(fn->description, "hello");
    assert_int_equal(fn->timeout_s, 900);
    assert_int_equal(fn->memory_mb, 10240);
    assert_int_equal(fn->ephemeral_mb, 10240);
    assert_string_equal(fn->arch, "arm64");
    assert_string_equal(fn->tracing, "Active");
    assert_non_null(fn->env);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(fn->env, "A_1")->valuestring, "x");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(fn->env, "bB")->valuestring, "");
    function_unref(fn);

    /* The lower bounds are accepted too, and JSON null means absent. */
    fn = create_ok("{" BASE ",'Timeout':1,'MemorySize':128,'EphemeralStorage':{'Size':512},"
                   "'Description':null,'Environment':null}");
    assert_int_equal(fn->timeout_s, 1);
    assert_int_equal(fn->memory_mb, 128);
    assert_null(fn->env);
    function_unref(fn);
}

static void test_create_name_forms(void **state)
{
    (void)state;
    /* A FunctionName may be given as an ARN; the name is taken from it and
     * the function's ARN is built from the server's region and account. */
    struct function *fn = create_ok(
        "{'FunctionName':'arn:aws:lambda:us-east-1:123456789012:function:my-fn','Runtime':"
        "'provided.al2023','Role':'" ROLE "','Handler':'x','Code':{}}");
    assert_string_equal(fn->name, "my-fn");
    assert_string_equal(fn->arn, "arn:aws:lambda:us-east-1:123456789012:function:my-fn");
    assert_int_equal(fn->rt->family, RT_PROVIDED);
    function_unref(fn);

    fn = create_ok("{'FunctionName':'123456789012:function:f2','Runtime':'nodejs20.x','Role':'" ROLE
                   "','Handler':'index.handler','Code':{}}");
    assert_string_equal(fn->name, "f2");
    assert_int_equal(fn->rt->family, RT_NODEJS);
    function_unref(fn);
}

static void test_create_role_forms(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "arn:aws:iam::123456789012:role/service-role/my_role+=,.@-",
        "arn:aws-cn:iam::123456789012:role/r",
        "arn:aws-us-gov:iam::123456789012:role/r",
        "arn::iam::123456789012:role/r",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{'FunctionName':'fn','Runtime':'python3.12','Role':'%s','Handler':'h','Code':{}}",
                 ok[i]);
        struct function *fn = create_ok(text);
        assert_string_equal(fn->role, ok[i]);
        function_unref(fn);
    }
}

/* ---- create: ValidationException ---- */

#define RANGE_MSG(v, field, rel, bound)                                                            \
    "Value '" v "' at '" field "' failed to satisfy constraint: Member must have value " rel       \
    " than or equal to " bound

static void test_create_ranges(void **state)
{
    (void)state;
    expect_error("{" BASE ",'Timeout':901}", ERR_VALIDATION,
                 "1 validation error detected: Value '901' at 'timeout' failed to satisfy "
                 "constraint: Member must have value less than or equal to 900");
    expect_error("{" BASE ",'Timeout':0}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("0", "timeout", "greater", "1"));
    expect_error("{" BASE ",'Timeout':-5}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("-5", "timeout", "greater", "1"));
    expect_error("{" BASE ",'MemorySize':127}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("127", "memorySize", "greater", "128"));
    expect_error("{" BASE ",'MemorySize':10241}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("10241", "memorySize", "less", "10240"));
    expect_error("{" BASE ",'EphemeralStorage':{'Size':511}}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("511", "ephemeralStorage.size",
                                                           "greater", "512"));
    expect_error("{" BASE ",'EphemeralStorage':{'Size':10241}}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("10241", "ephemeralStorage.size", "less",
                                                           "10240"));
}

static void test_create_multiple_violations(void **state)
{
    (void)state;
    expect_error(
        "{" BASE ",'Timeout':901,'MemorySize':64}", ERR_VALIDATION,
        "2 validation errors detected: " RANGE_MSG("901", "timeout", "less", "900") "; " RANGE_MSG(
            "64", "memorySize", "greater", "128"));
    expect_error(
        "{" BASE ",'Timeout':0,'MemorySize':64,'EphemeralStorage':{'Size':1}}", ERR_VALIDATION,
        "3 validation errors detected: " RANGE_MSG("0", "timeout", "greater", "1") "; " RANGE_MSG(
            "64", "memorySize", "greater", "128") "; " RANGE_MSG("1", "ephemeralStorage.size",
                                                                 "greater", "512"));
}

static void test_create_missing_members(void **state)
{
    (void)state;
    expect_error("{'Runtime':'python3.12','Role':'" ROLE "','Handler':'h','Code':{}}",
                 ERR_VALIDATION,
                 "1 validation error detected: Value null at 'functionName' failed to satisfy "
                 "constraint: Member must not be null");
    expect_error("{'FunctionName':'fn','Runtime':'python3.12','Handler':'h','Code':{}}",
                 ERR_VALIDATION,
                 "1 validation error detected: Value null at 'role' failed to satisfy "
                 "constraint: Member must not be null");
    expect_error("{'FunctionName':'fn','Runtime':'python3.12','Role':'" ROLE "','Handler':'h'}",
                 ERR_VALIDATION,
                 "1 validation error detected: Value null at 'code' failed to satisfy "
                 "constraint: Member must not be null");
    expect_error("{}", ERR_VALIDATION,
                 "3 validation errors detected: Value null at 'functionName' failed to satisfy "
                 "constraint: Member must not be null; Value null at 'role' failed to satisfy "
                 "constraint: Member must not be null; Value null at 'code' failed to satisfy "
                 "constraint: Member must not be null");
}

static void test_create_runtime_handler_mandatory(void **state)
{
    (void)state;
    static const char text[] = "Runtime and Handler are mandatory parameters for functions "
                               "created with deployment packages.";
    expect_error("{'FunctionName':'fn','Role':'" ROLE "','Handler':'h','Code':{}}",
                 ERR_INVALID_PARAMETER, text);
    expect_error("{'FunctionName':'fn','Role':'" ROLE "','Runtime':'python3.12','Code':{}}",
                 ERR_INVALID_PARAMETER, text);
    expect_error("{'FunctionName':'fn','Role':'" ROLE "','Code':{}}", ERR_INVALID_PARAMETER, text);
}

static void test_create_bad_name(void **state)
{
    (void)state;
    char want[512];
    snprintf(want, sizeof(want),
             "1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy "
             "constraint: Member must satisfy regular expression pattern: %s",
             "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
             "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
    struct result r;
    create("{'FunctionName':'bad name','Runtime':'python3.12','Role':'" ROLE
           "','Handler':'h','Code':{}}",
           &r);
    assert_int_equal(r.rc, ERR_VALIDATION);
    assert_string_equal(r.msg, want);

    /* A qualifier is not allowed when creating, nor is an empty name. */
    expect_error_prefix(
        "{'FunctionName':'fn:1','Runtime':'python3.12','Role':'" ROLE "','Handler':'h','Code':{}}",
        ERR_VALIDATION, "1 validation error detected: Value 'fn:1' at 'functionName'");
    expect_error_prefix("{'FunctionName':'','Runtime':'python3.12','Role':'" ROLE
                        "','Handler':'h','Code':{}}",
                        ERR_VALIDATION, "1 validation error detected: Value '' at 'functionName'");
    char text[512];
    char name[FN_NAME_MAX + 2];
    memset(name, 'n', FN_NAME_MAX + 1);
    name[FN_NAME_MAX + 1] = '\0';
    snprintf(text, sizeof(text),
             "{'FunctionName':'%s','Runtime':'python3.12','Role':'" ROLE
             "','Handler':'h','Code':{}}",
             name);
    expect_error(text, ERR_VALIDATION, NULL);
}

static void test_create_role_pattern(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not-a-role",
        "arn:aws:iam::12345678901:role/r",    /* 11 digits */
        "arn:aws:iam::123456789012:user/r",   /* not a role */
        "arn:aws:iam::123456789012:role/a b", /* space */
        "arn:aws:iam::123456789012:role",     /* no name */
        "arn:aws:sts::123456789012:role/r",   /* wrong service */
        "arn:aws1:iam::123456789012:role/r",  /* partition with a digit */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512], want[512];
        snprintf(text, sizeof(text),
                 "{'FunctionName':'fn','Runtime':'python3.12','Role':'%s','Handler':'h','Code':{}}",
                 bad[i]);
        snprintf(want, sizeof(want),
                 "1 validation error detected: Value '%s' at 'role' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: "
                 "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
                 bad[i]);
        expect_error(text, ERR_VALIDATION, want);
    }
}

static void test_create_handler_pattern(void **state)
{
    (void)state;
    expect_error("{" NRH ",'Runtime':'python3.12','Handler':'app handler'}", ERR_VALIDATION,
                 "1 validation error detected: Value 'app handler' at 'handler' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+");
    expect_error("{" NRH ",'Runtime':'python3.12','Handler':'a\\tb'}", ERR_VALIDATION, NULL);
    expect_error_prefix("{" NRH ",'Runtime':'python3.12','Handler':''}", ERR_VALIDATION,
                        "1 validation error detected: Value '' at 'handler' failed to satisfy "
                        "constraint: Member must satisfy regular expression pattern");
    char text[1024];
    char h[FN_HANDLER_MAX + 2];
    memset(h, 'h', sizeof(h) - 1);
    h[sizeof(h) - 1] = '\0';
    snprintf(text, sizeof(text), "{" NRH ",'Runtime':'python3.12','Handler':'%s'}", h);
    struct result r;
    create(text, &r);
    assert_int_equal(r.rc, ERR_VALIDATION);
    assert_non_null(strstr(r.msg, "at 'handler' failed to satisfy constraint: Member must have "
                                  "length less than or equal to 128"));
    h[FN_HANDLER_MAX] = '\0'; /* exactly 128 is fine */
    snprintf(text, sizeof(text), "{" NRH ",'Runtime':'python3.12','Handler':'%s'}", h);
    struct function *fn = create_ok(text);
    assert_int_equal(strlen(fn->handler), FN_HANDLER_MAX);
    function_unref(fn);
}

static void test_create_description_length(void **state)
{
    (void)state;
    char d[FN_DESCRIPTION_MAX + 2], text[1024];
    memset(d, 'd', sizeof(d) - 1);
    d[sizeof(d) - 1] = '\0';
    snprintf(text, sizeof(text), "{" BASE ",'Description':'%s'}", d);
    expect_error(text, ERR_VALIDATION,
                 "1 validation error detected: Value at 'description' failed to satisfy "
                 "constraint: Member must have length less than or equal to 256");
    d[FN_DESCRIPTION_MAX] = '\0';
    snprintf(text, sizeof(text), "{" BASE ",'Description':'%s'}", d);
    struct function *fn = create_ok(text);
    assert_int_equal(strlen(fn->description), FN_DESCRIPTION_MAX);
    function_unref(fn);
}

static void test_create_runtime(void **state)
{
    (void)state;
    char want[2048];
    snprintf(want, sizeof(want),
             "1 validation error detected: Value 'python9.9' at 'runtime' failed to satisfy "
             "constraint: Member must satisfy enum value set: %s",
             runtime_enum_list());
    expect_error("{" NRH ",'Handler':'h','Runtime':'python9.9'}", ERR_VALIDATION, want);
    /* The enum list is AWS's whole Runtime enum. */
    assert_int_equal(runtime_enum_list()[0], '[');
    assert_int_equal(runtime_enum_list()[strlen(runtime_enum_list()) - 1], ']');
    assert_non_null(strstr(runtime_enum_list(), "java21"));
    assert_non_null(strstr(runtime_enum_list(), "python3.12"));

    /* Known to AWS but not runnable here: InvalidParameterValueException. */
    snprintf(want, sizeof(want),
             "The runtime parameter of java21 is not supported by lambdad on this host. "
             "Supported runtimes: %s",
             runtime_supported_list());
    expect_error("{" NRH ",'Handler':'h','Runtime':'java21'}", ERR_INVALID_PARAMETER, want);
    expect_error_prefix("{" NRH ",'Handler':'h','Runtime':'python2.7'}", ERR_INVALID_PARAMETER,
                        "The runtime parameter of python2.7 is not supported");
    /* Case matters. */
    expect_error("{" NRH ",'Handler':'h','Runtime':'Python3.12'}", ERR_VALIDATION, NULL);
}

static void test_create_tracing_packagetype(void **state)
{
    (void)state;
    expect_error("{" BASE ",'TracingConfig':{'Mode':'Bogus'}}", ERR_VALIDATION,
                 "1 validation error detected: Value 'Bogus' at 'tracingConfig.mode' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]");
    expect_error("{" BASE ",'PackageType':'Jar'}", ERR_VALIDATION,
                 "1 validation error detected: Value 'Jar' at 'packageType' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [Image, Zip]");
    expect_error("{" BASE ",'PackageType':'Image'}", ERR_INVALID_PARAMETER,
                 "PackageType Image is not supported by lambdad; use a Zip package.");
}

static void test_create_architectures(void **state)
{
    (void)state;
    struct function *fn = create_ok("{" BASE ",'Architectures':['x86_64']}");
    assert_string_equal(fn->arch, "x86_64");
    function_unref(fn);
    expect_error("{" BASE ",'Architectures':['x86_64','arm64']}", ERR_VALIDATION,
                 "1 validation error detected: Value at 'architectures' failed to satisfy "
                 "constraint: Member must have length less than or equal to 1");
    expect_error("{" BASE ",'Architectures':['sparc']}", ERR_VALIDATION,
                 "1 validation error detected: Value at 'architectures' failed to satisfy "
                 "constraint: Member must satisfy constraint: [Member must satisfy enum value "
                 "set: [x86_64, arm64]]");
    expect_error("{" BASE ",'Architectures':[1]}", ERR_VALIDATION, NULL);
    expect_error("{" BASE ",'Architectures':'x86_64'}", ERR_INVALID_CONTENT,
                 "Could not parse request body into json: Architectures must be a list");
}

static void test_create_architectures_empty(void **state)
{
    (void)state;
    /* The model says 1 <= length <= 1: an empty list is too short, and the
     * text must say so rather than "less than or equal to 1". */
    struct result r;
    create("{" BASE ",'Architectures':[]}", &r);
    assert_int_equal(r.rc, ERR_VALIDATION);
    if (strstr(r.msg, "Member must have length greater than or equal to 1") == NULL)
        fail_msg("Architectures [] gave: %s", r.msg);
}

static void test_create_layers(void **state)
{
    (void)state;
    /* Whether a layer exists is the control plane's check; here only the shape. */
    struct function *with =
        create_ok("{" BASE ",'Layers':['arn:aws:lambda:us-east-1:123456789012:layer:l:1',"
                  "'arn:aws:lambda:us-east-1:123456789012:layer:m:2']}");
    assert_int_equal(with->nlayers, 2);
    assert_string_equal(with->layers[1].arn, "arn:aws:lambda:us-east-1:123456789012:layer:m:2");
    function_unref(with);
    expect_error("{" BASE ",'Layers':['arn:aws:lambda:us-east-1:123456789012:function:f']}",
                 ERR_VALIDATION, NULL);
    expect_error("{" BASE ",'Layers':['a','b','c','d','e','f']}", ERR_INVALID_PARAMETER,
                 "Cannot reference more than 5 layers.");
    expect_error("{" BASE ",'Layers':'a'}", ERR_INVALID_CONTENT,
                 "Could not parse request body into json: Layers must be a list");
    struct function *fn = create_ok("{" BASE ",'Layers':[]}");
    function_unref(fn);
}

/* ---- create: environment ---- */

#define RESERVED_MSG                                                                               \
    "Lambda was unable to configure your environment variables because the environment "           \
    "variables you have provided contains reserved keys that are currently not supported for "     \
    "modification. Reserved keys used in this request: "

static void test_create_env_reserved(void **state)
{
    (void)state;
    expect_error("{" BASE ",'Environment':{'Variables':{'FOO':'1','AWS_REGION':'x'}}}",
                 ERR_INVALID_PARAMETER, RESERVED_MSG "AWS_REGION");
    expect_error("{" BASE ",'Environment':{'Variables':{'_HANDLER':'x','AWS_ACCESS_KEY_ID':'y',"
                 "'OK_KEY':'z','AWS_LAMBDA_RUNTIME_API':'w'}}}",
                 ERR_INVALID_PARAMETER,
                 RESERVED_MSG "_HANDLER, AWS_ACCESS_KEY_ID, AWS_LAMBDA_RUNTIME_API");
    static const char *const reserved[] = {
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    };
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        char text[512], want[512];
        snprintf(text, sizeof(text), "{" BASE ",'Environment':{'Variables':{'%s':'v'}}}",
                 reserved[i]);
        snprintf(want, sizeof(want), RESERVED_MSG "%s", reserved[i]);
        expect_error(text, ERR_INVALID_PARAMETER, want);
    }
    /* Similar names are not reserved. */
    struct function *fn =
        create_ok("{" BASE ",'Environment':{'Variables':{'AWS_REGIONX':'1','MY_AWS_REGION':'2',"
                  "'aws_region':'3'}}}");
    assert_int_equal(cJSON_GetArraySize(fn->env), 3);
    function_unref(fn);
}

static void test_create_env_key_pattern(void **state)
{
    (void)state;
    static const char want[] =
        "1 validation error detected: Value at 'environment.variables' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
        "pattern: [a-zA-Z]([a-zA-Z0-9_])+]";
    static const char *const bad[] = {"1ABC", "_AB", "A", "A-B", "A B", "A.B", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "{" BASE ",'Environment':{'Variables':{'OK1':'x','%s':'y'}}}",
                 bad[i]);
        expect_error(text, ERR_VALIDATION, want);
    }
    struct function *fn = create_ok("{" BASE ",'Environment':{'Variables':{'Ab':'1','z9_':'2'}}}");
    function_unref(fn);
}

static void env_body(char *text, size_t cap, size_t value_len)
{
    char *v = malloc(value_len + 1);
    assert_non_null(v);
    memset(v, 'v', value_len);
    v[value_len] = '\0';
    snprintf(text, cap, "{" BASE ",'Environment':{'Variables':{'K1':'%s'}}}", v);
    free(v);
}

static void test_create_env_size(void **state)
{
    (void)state;
    /* {"K1":"vvv..."} is 9 bytes plus the value. */
    size_t fits = FN_ENV_MAX_BYTES - 9;
    char *text = malloc(8192);
    assert_non_null(text);
    env_body(text, 8192, fits);
    struct function *fn = create_ok(text);
    assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(fn->env, "K1")->valuestring), fits);
    function_unref(fn);

    env_body(text, 8192, fits + 1);
    expect_error_prefix(text, ERR_INVALID_PARAMETER,
                        "Lambda was unable to configure your environment variables because the "
                        "environment variables you have provided exceeded the 4KB limit. String "
                        "measured: {\"K1\":\"vvv");
    struct result r;
    create(text, &r);
    assert_true(strlen(r.msg) < 600); /* the measured string is abbreviated */
    free(text);
}

/* ---- create: InvalidRequestContentException ---- */

static void test_create_wrong_types(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"{" BASE ",'Timeout':'3'}",
         "Could not parse request body into json: Timeout must be an integer"},
        {"{" BASE ",'Timeout':3.5}",
         "Could not parse request body into json: Timeout must be an integer"},
        {"{" BASE ",'MemorySize':true}",
         "Could not parse request body into json: MemorySize must be an integer"},
        {"{" BASE ",'EphemeralStorage':{'Size':'512'}}",
         "Could not parse request body into json: Size must be an integer"},
        {"{" BASE ",'EphemeralStorage':512}",
         "Could not parse request body into json: EphemeralStorage must be an object"},
        {"{" NRH ",'Runtime':'python3.12','Handler':5}",
         "Could not parse request body into json: Handler must be a string"},
        {"{" NRH ",'Handler':'h','Runtime':['python3.12']}",
         "Could not parse request body into json: Runtime must be a string"},
        {"{'FunctionName':7,'Runtime':'python3.12','Role':'" ROLE "','Handler':'h','Code':{}}",
         "Could not parse request body into json: FunctionName must be a string"},
        {"{'FunctionName':'fn','Runtime':'python3.12','Role':{},'Handler':'h','Code':{}}",
         "Could not parse request body into json: Role must be a string"},
        {"{" BASE ",'Environment':'A=B'}",
         "Could not parse request body into json: Environment must be an object"},
        {"{" BASE ",'Environment':{'Variables':['A']}}",
         "Could not parse request body into json: Variables must be an object"},
        {"{" BASE ",'Environment':{'Variables':{'AB':1}}}",
         "Could not parse request body into json: environment variable values must be strings"},
        {"{" BASE ",'TracingConfig':{'Mode':1}}",
         "Could not parse request body into json: Mode must be a string"},
        {"{" BASE ",'Description':false}",
         "Could not parse request body into json: Description must be a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i].body, ERR_INVALID_CONTENT, cases[i].msg);
}

static void test_create_out_of_range_number(void **state)
{
    (void)state;
    /* Numbers no integer type holds are rejected, never truncated. */
    struct result r;
    create("{" BASE ",'Timeout':1e30}", &r);
    assert_true(r.rc == ERR_INVALID_CONTENT || r.rc == ERR_VALIDATION);
    create("{" BASE ",'MemorySize':-1e300}", &r);
    assert_true(r.rc == ERR_INVALID_CONTENT || r.rc == ERR_VALIDATION);
}

static void test_create_precedence(void **state)
{
    (void)state;
    /* A type error beats everything. */
    expect_error("{" BASE ",'Timeout':901,'MemorySize':'x'}", ERR_INVALID_CONTENT,
                 "Could not parse request body into json: MemorySize must be an integer");
    /* Constraint violations beat semantic errors. */
    expect_error("{" BASE ",'Timeout':901,'Environment':{'Variables':{'AWS_REGION':'x'}}}",
                 ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("901", "timeout", "less", "900"));
    expect_error("{" NRH ",'Handler':'h','Runtime':'java21','MemorySize':1}", ERR_VALIDATION,
                 "1 validation error detected: " RANGE_MSG("1", "memorySize", "greater", "128"));
    /* Among semantic errors, the first one found is reported. */
    expect_error_prefix(
        "{" NRH ",'Handler':'h','Runtime':'java21','Environment':{'Variables':{'_HANDLER':'x'}}}",
        ERR_INVALID_PARAMETER, "The runtime parameter of java21");
}

static void test_create_many_violations_bounded(void **state)
{
    (void)state;
    /* Every member wrong at once: the text is cut to fit, never overflows. */
    char role[300];
    memset(role, 'r', sizeof(role) - 1);
    role[sizeof(role) - 1] = '\0';
    char text[4096];
    snprintf(text, sizeof(text),
             "{'FunctionName':'bad name %s','Runtime':'nope','Role':'%s','Handler':'a b',"
             "'Timeout':0,'MemorySize':1,'EphemeralStorage':{'Size':1},"
             "'TracingConfig':{'Mode':'x'},'Architectures':['y'],'PackageType':'z','Code':{}}",
             role, role);
    struct result r;
    create(text, &r);
    assert_int_equal(r.rc, ERR_VALIDATION);
    assert_true(strlen(r.msg) < sizeof(r.msg));
    /* The count is the number of violations, even when their texts are cut. */
    if (strncmp(r.msg, "10 validation errors detected: ", 31) != 0)
        fail_msg("10 violations reported as: %.40s...", r.msg);

    /* A small message buffer truncates safely. */
    cJSON *b = body(text);
    struct function *fn = NULL;
    char small[16];
    assert_int_equal(function_from_create(b, REGION, ACCOUNT, &fn, small, sizeof(small)),
                     ERR_VALIDATION);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, r.msg, sizeof(small) - 1);
    assert_null(fn);
    cJSON_Delete(b);
}

/* ---- update ---- */

static void test_update_keeps_untouched(void **state)
{
    (void)state;
    struct function *old =
        create_ok("{" BASE ",'Timeout':30,'Description':'d','Environment':{'Variables':"
                  "{'AA':'1'}},'Architectures':['arm64']}");
    struct function *coded = function_with_code(old, "ab", "q83v", 1234);
    char rev[37], lm[32];
    snprintf(rev, sizeof(rev), "%s", coded->revision_id);
    snprintf(lm, sizeof(lm), "%s", coded->last_modified);
    sleep_ms(3); /* LastModified has millisecond resolution */

    cJSON *b = body("{'MemorySize':256,'Handler':'new.handler'}");
    struct function *nf = NULL;
    char msg[2048];
    assert_int_equal(function_apply_update(coded, b, &nf, msg, sizeof(msg)), 0);
    cJSON_Delete(b);
    assert_non_null(nf);
    assert_ptr_not_equal(nf, coded);
    assert_int_equal(nf->refs, 1);
    assert_int_equal(nf->memory_mb, 256);
    assert_string_equal(nf->handler, "new.handler");
    /* Untouched. */
    assert_string_equal(nf->name, "fn");
    assert_string_equal(nf->arn, coded->arn);
    assert_string_equal(nf->runtime, "python3.12");
    assert_ptr_equal(nf->rt, coded->rt);
    assert_string_equal(nf->role, ROLE);
    assert_string_equal(nf->description, "d");
    assert_int_equal(nf->timeout_s, 30);
    assert_int_equal(nf->ephemeral_mb, 512);
    assert_string_equal(nf->arch, "arm64");
    assert_true(cJSON_Compare(nf->env, coded->env, true));
    assert_ptr_not_equal(nf->env, coded->env); /* a copy, not shared */
    assert_string_equal(nf->code_hex, "ab");
    assert_string_equal(nf->code_b64, "q83v");
    assert_int_equal(nf->code_size, 1234);
    /* Changed. */
    assert_string_not_equal(nf->revision_id, rev);
    assert_string_not_equal(nf->last_modified, lm);
    check_lastmod(nf->last_modified);
    /* The old snapshot is unchanged. */
    assert_int_equal(coded->memory_mb, 128);
    assert_string_equal(coded->handler, "app.handler");
    assert_string_equal(coded->revision_id, rev);
    function_unref(nf);
    function_unref(coded);
    function_unref(old);
}

static void test_update_env(void **state)
{
    (void)state;
    struct function *old = create_ok("{" BASE ",'Environment':{'Variables':{'AA':'1'}}}");
    char msg[2048];
    struct function *nf = NULL;

    /* New variables replace the old map. */
    cJSON *b = body("{'Environment':{'Variables':{'BB':'2'}}}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), 0);
    cJSON_Delete(b);
    assert_null(cJSON_GetObjectItemCaseSensitive(nf->env, "AA"));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(nf->env, "BB")->valuestring, "2");
    function_unref(nf);

    /* An Environment without Variables clears them. */
    b = body("{'Environment':{}}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), 0);
    cJSON_Delete(b);
    assert_null(nf->env);
    cJSON *json = function_config_json(nf);
    assert_null(cJSON_GetObjectItemCaseSensitive(json, "Environment"));
    cJSON_Delete(json);
    function_unref(nf);

    /* An empty body changes nothing but the revision. */
    b = body("{}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), 0);
    cJSON_Delete(b);
    assert_true(cJSON_Compare(nf->env, old->env, true));
    assert_string_not_equal(nf->revision_id, old->revision_id);
    function_unref(nf);
    function_unref(old);
}

static void test_update_errors(void **state)
{
    (void)state;
    struct function *old = create_ok("{" BASE "}");
    char msg[2048];
    struct function *nf = (struct function *)(uintptr_t)1; /* must stay untouched */
    cJSON *b = body("{'Timeout':901}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), ERR_VALIDATION);
    assert_string_equal(msg,
                        "1 validation error detected: " RANGE_MSG("901", "timeout", "less", "900"));
    assert_ptr_equal(nf, (struct function *)(uintptr_t)1);
    cJSON_Delete(b);

    b = body("{'Environment':{'Variables':{'AWS_REGION':'x'}}}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), ERR_INVALID_PARAMETER);
    assert_string_equal(msg, RESERVED_MSG "AWS_REGION");
    cJSON_Delete(b);

    b = body("{'Runtime':'java21'}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), ERR_INVALID_PARAMETER);
    cJSON_Delete(b);

    b = body("{'Timeout':'x'}");
    assert_int_equal(function_apply_update(old, b, &nf, msg, sizeof(msg)), ERR_INVALID_CONTENT);
    cJSON_Delete(b);
    assert_ptr_equal(nf, (struct function *)(uintptr_t)1);
    /* The old snapshot is still intact. */
    assert_int_equal(old->timeout_s, 3);
    assert_null(old->env);
    assert_string_equal(old->runtime, "python3.12");
    function_unref(old);
}

static void test_with_code(void **state)
{
    (void)state;
    struct function *old = create_ok("{" BASE "}");
    char rev[37];
    snprintf(rev, sizeof(rev), "%s", old->revision_id);
    const char *hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const char *b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    struct function *nf = function_with_code(old, hex, b64, 22);
    assert_int_equal(nf->refs, 1);
    assert_string_equal(nf->code_hex, hex);
    assert_string_equal(nf->code_b64, b64);
    assert_int_equal(nf->code_size, 22);
    assert_string_not_equal(nf->revision_id, rev);
    assert_string_equal(old->code_hex, "");
    function_unref(nf);
    function_unref(old);
}

/* ---- JSON ---- */

static const cJSON *get(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    if (m == NULL)
        fail_msg("missing member %s", key);
    return m;
}

static void expect_str(const cJSON *o, const char *key, const char *want)
{
    const cJSON *m = get(o, key);
    if (!cJSON_IsString(m))
        fail_msg("%s is not a string", key);
    assert_string_equal(m->valuestring, want);
}

static void expect_num(const cJSON *o, const char *key, double want)
{
    const cJSON *m = get(o, key);
    if (!cJSON_IsNumber(m))
        fail_msg("%s is not a number", key);
    assert_true(m->valuedouble == want);
}

static void test_config_json(void **state)
{
    (void)state;
    struct function *base = create_ok("{" BASE ",'Description':'desc','Timeout':7,"
                                      "'Environment':{'Variables':{'KEY':'val'}}}");
    struct function *fn = function_with_code(base, "00ff", "AP8=", 321);
    cJSON *o = function_config_json(fn);
    assert_non_null(o);
    expect_str(o, "FunctionName", "fn");
    expect_str(o, "FunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:fn");
    expect_str(o, "Runtime", "python3.12");
    expect_str(o, "Role", ROLE);
    expect_str(o, "Handler", "app.handler");
    expect_num(o, "CodeSize", 321);
    expect_str(o, "Description", "desc");
    expect_num(o, "Timeout", 7);
    expect_num(o, "MemorySize", 128);
    expect_str(o, "LastModified", fn->last_modified);
    check_lastmod(get(o, "LastModified")->valuestring);
    expect_str(o, "CodeSha256", "AP8=");
    expect_str(o, "Version", "$LATEST");
    expect_str(get(get(o, "Environment"), "Variables"), "KEY", "val");
    expect_str(get(o, "TracingConfig"), "Mode", "PassThrough");
    expect_str(o, "RevisionId", fn->revision_id);
    expect_str(o, "State", "Active");
    expect_str(o, "LastUpdateStatus", "Successful");
    expect_str(o, "PackageType", "Zip");
    const cJSON *arch = get(o, "Architectures");
    assert_true(cJSON_IsArray(arch));
    assert_int_equal(cJSON_GetArraySize(arch), 1);
    assert_string_equal(cJSON_GetArrayItem(arch, 0)->valuestring, "x86_64");
    expect_num(get(o, "EphemeralStorage"), "Size", 512);
    expect_str(get(o, "SnapStart"), "ApplyOn", "None");
    expect_str(get(o, "SnapStart"), "OptimizationStatus", "Off");
    expect_str(get(o, "LoggingConfig"), "LogFormat", "Text");
    expect_str(get(o, "LoggingConfig"), "LogGroup", "/aws/lambda/fn");
    /* Internal fields never reach the API. */
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "_CodeHex"));
    cJSON_Delete(o);
    function_unref(fn);
    function_unref(base);
}

static void assert_same_fn(const struct function *a, const struct function *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->arn, b->arn);
    assert_string_equal(a->runtime, b->runtime);
    assert_ptr_equal(a->rt, b->rt);
    assert_string_equal(a->handler, b->handler);
    assert_string_equal(a->role, b->role);
    assert_string_equal(a->description, b->description);
    assert_int_equal(a->timeout_s, b->timeout_s);
    assert_int_equal(a->memory_mb, b->memory_mb);
    assert_int_equal(a->ephemeral_mb, b->ephemeral_mb);
    if (a->env == NULL)
        assert_null(b->env);
    else
        assert_true(cJSON_Compare(a->env, b->env, true));
    assert_string_equal(a->arch, b->arch);
    assert_string_equal(a->tracing, b->tracing);
    assert_string_equal(a->code_hex, b->code_hex);
    assert_string_equal(a->code_b64, b->code_b64);
    assert_int_equal(a->code_size, b->code_size);
    assert_string_equal(a->last_modified, b->last_modified);
    assert_string_equal(a->revision_id, b->revision_id);
}

static void test_store_roundtrip(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{" BASE "}",
        "{" NRH ",'Runtime':'nodejs22.x','Handler':'index.handler',"
        "'Description':'d \\\"q\\\" \\u00e9','Timeout':900,'MemorySize':10240,"
        "'EphemeralStorage':{'Size':4096},'Environment':{'Variables':{'A_B':'x=y','cc':''}},"
        "'TracingConfig':{'Mode':'Active'},'Architectures':['arm64']}",
        "{" BASE ",'Environment':{'Variables':{}}}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct function *base = create_ok(bodies[i]);
        struct function *fn = function_with_code(
            base, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", 52428800);
        char *text = function_store_json(fn);
        assert_non_null(text);
        struct function *back = function_from_store(text);
        if (back == NULL)
            fail_msg("function_from_store rejected its own output: %s", text);
        assert_int_equal(back->refs, 1);
        assert_same_fn(fn, back);
        /* And once more through the store: stable. */
        char *again = function_store_json(back);
        assert_string_equal(again, text);
        free(again);
        free(text);
        function_unref(back);
        function_unref(fn);
        function_unref(base);
    }
}

static void test_store_damaged(void **state)
{
    (void)state;
    struct function *base = create_ok("{" BASE "}");
    struct function *fn = function_with_code(base, "aa", "qg==", 1);
    char *good = function_store_json(fn);
    cJSON *o = cJSON_Parse(good);
    assert_non_null(o);

    assert_null(function_from_store(""));
    assert_null(function_from_store("not json"));
    assert_null(function_from_store("{"));
    assert_null(function_from_store("[]"));
    assert_null(function_from_store("{}"));
    assert_null(function_from_store("null"));
    /* Cut short. */
    char *half = strdup(good);
    assert_non_null(half);
    half[strlen(half) / 2] = '\0';
    assert_null(function_from_store(half));
    free(half);

    /* Each required member missing or of the wrong type. */
    static const char *const required[] = {"FunctionName", "_Arn",       "_CodeHex", "CodeSha256",
                                           "LastModified", "RevisionId", "CodeSize"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        cJSON *c = cJSON_Duplicate(o, true);
        cJSON_DeleteItemFromObjectCaseSensitive(c, required[i]);
        if (strcmp(required[i], "_Arn") == 0) /* records from before versions had only this */
            cJSON_DeleteItemFromObjectCaseSensitive(c, "FunctionArn");
        char *t = cJSON_PrintUnformatted(c);
        if (function_from_store(t) != NULL)
            fail_msg("accepted a store record without %s", required[i]);
        free(t);
        cJSON_Delete(c);
        c = cJSON_Duplicate(o, true);
        assert_true(cJSON_ReplaceItemInObjectCaseSensitive(c, required[i], cJSON_CreateArray()));
        t = cJSON_PrintUnformatted(c);
        if (function_from_store(t) != NULL)
            fail_msg("accepted a store record with %s = []", required[i]);
        free(t);
        cJSON_Delete(c);
    }

    /* Values the validation rejects. */
    static const struct {
        const char *key;
        double value;
    } bad_nums[] = {{"Timeout", 0}, {"Timeout", 901}, {"MemorySize", 1}, {"Timeout", 1.5}};
    for (size_t i = 0; i < sizeof(bad_nums) / sizeof(bad_nums[0]); i++) {
        cJSON *c = cJSON_Duplicate(o, true);
        cJSON_ReplaceItemInObjectCaseSensitive(c, bad_nums[i].key,
                                               cJSON_CreateNumber(bad_nums[i].value));
        char *t = cJSON_PrintUnformatted(c);
        assert_null(function_from_store(t));
        free(t);
        cJSON_Delete(c);
    }
    cJSON *c = cJSON_Duplicate(o, true);
    cJSON_ReplaceItemInObjectCaseSensitive(c, "Runtime", cJSON_CreateString("cobol"));
    char *t = cJSON_PrintUnformatted(c);
    assert_null(function_from_store(t));
    free(t);
    cJSON_Delete(c);

    /* The untouched record still loads. */
    struct function *back = function_from_store(good);
    assert_non_null(back);
    function_unref(back);

    cJSON_Delete(o);
    free(good);
    function_unref(fn);
    function_unref(base);
}

/* ---- references ---- */

static void test_refcount(void **state)
{
    (void)state;
    struct function *fn = create_ok("{" BASE "}");
    assert_int_equal(fn->refs, 1);
    assert_ptr_equal(function_ref(fn), fn);
    assert_ptr_equal(function_ref(fn), fn);
    assert_int_equal(fn->refs, 3);
    function_unref(fn);
    function_unref(fn);
    assert_int_equal(fn->refs, 1);
    assert_string_equal(fn->name, "fn"); /* still alive */
    function_unref(fn);                  /* freed: ASan reports a leak otherwise */
    function_unref(NULL);                /* a no-op */

    /* Derived snapshots are independent objects. */
    struct function *a = create_ok("{" BASE "}");
    struct function *b = function_with_code(a, "aa", "qg==", 1);
    function_unref(a);
    assert_string_equal(b->name, "fn"); /* b owns its own copies */
    function_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_defaults),
        cmocka_unit_test(test_create_all_fields),
        cmocka_unit_test(test_create_name_forms),
        cmocka_unit_test(test_create_role_forms),
        cmocka_unit_test(test_create_ranges),
        cmocka_unit_test(test_create_multiple_violations),
        cmocka_unit_test(test_create_missing_members),
        cmocka_unit_test(test_create_runtime_handler_mandatory),
        cmocka_unit_test(test_create_bad_name),
        cmocka_unit_test(test_create_role_pattern),
        cmocka_unit_test(test_create_handler_pattern),
        cmocka_unit_test(test_create_description_length),
        cmocka_unit_test(test_create_runtime),
        cmocka_unit_test(test_create_tracing_packagetype),
        cmocka_unit_test(test_create_architectures),
        cmocka_unit_test(test_create_architectures_empty),
        cmocka_unit_test(test_create_layers),
        cmocka_unit_test(test_create_env_reserved),
        cmocka_unit_test(test_create_env_key_pattern),
        cmocka_unit_test(test_create_env_size),
        cmocka_unit_test(test_create_wrong_types),
        cmocka_unit_test(test_create_out_of_range_number),
        cmocka_unit_test(test_create_precedence),
        cmocka_unit_test(test_create_many_violations_bounded),
        cmocka_unit_test(test_update_keeps_untouched),
        cmocka_unit_test(test_update_env),
        cmocka_unit_test(test_update_errors),
        cmocka_unit_test(test_with_code),
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_store_roundtrip),
        cmocka_unit_test(test_store_damaged),
        cmocka_unit_test(test_refcount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
