/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_BASE_LIMITS_H
#define LAMBDAD_BASE_LIMITS_H

/*
 * Every limit lambdad enforces, with its unit, in one reviewable place. The
 * AWS values come from aws-wire.md sections 1.4, 2 and 4.
 */

#define FN_NAME_MAX                64            /* characters of a bare function name */
#define FN_NAME_ARN_MAX            140           /* characters of a name given as an ARN */
#define FN_QUALIFIER_MAX           128           /* characters */
#define FN_HANDLER_MAX             128           /* characters */
#define FN_DESCRIPTION_MAX         256           /* characters */
#define FN_ROLE_MAX                2048          /* characters (the model's role pattern) */
#define FN_TIMEOUT_MIN_S           1             /* seconds */
#define FN_TIMEOUT_MAX_S           900           /* seconds */
#define FN_TIMEOUT_DEFAULT_S       3             /* seconds */
#define FN_MEMORY_MIN_MB           128           /* MB */
#define FN_MEMORY_MAX_MB           10240         /* MB */
#define FN_MEMORY_DEFAULT_MB       128           /* MB */
#define FN_EPHEMERAL_MIN_MB        512           /* MB of /tmp */
#define FN_EPHEMERAL_MAX_MB        10240         /* MB of /tmp */
#define FN_ENV_MAX_BYTES           4096          /* bytes of the JSON-serialized variables */
#define FN_ZIP_MAX_BYTES           52428800      /* bytes of a directly uploaded zip (50 MiB) */
#define FN_UNZIPPED_MAX_BYTES      262144000     /* bytes of unpacked code (250 MB) */
#define FN_CODE_STORAGE_MAX_BYTES  80530636800LL /* bytes of all stored code (75 GB) */
#define FN_LAYERS_MAX              5             /* layers per function */
#define FN_TAGS_MAX                50            /* tags per function */
#define UNRESERVED_CONCURRENCY_MIN 100           /* reservations must leave this much */
#define FN_LIST_MAX_ITEMS          50            /* functions per ListFunctions page */

#define API_CODE_REQUEST_MAX_BYTES 69905067 /* CreateFunction/UpdateFunctionCode body */
#define API_JSON_REQUEST_MAX_BYTES 1048576  /* any other control-plane JSON body */
#define HTTP_ENTITY_MAX_BYTES      (API_CODE_REQUEST_MAX_BYTES + 1048576)

#define INVOKE_PAYLOAD_MAX_BYTES    6291456 /* sync request payload (6 MiB) */
#define ASYNC_PAYLOAD_MAX_BYTES     1048576 /* Event invocation payload (1 MB) */
#define RUNTIME_RESPONSE_MAX_BYTES  6291556 /* function response (6 MiB + 100) */
#define INVOKE_CLIENT_CONTEXT_MAX   3583    /* bytes of base64 X-Amz-Client-Context */
#define INVOKE_LOG_TAIL_BYTES       4096    /* bytes returned by X-Amz-Log-Type: Tail */
#define INVOKE_LOG_KEEP_BYTES       65536   /* bytes of an invocation's log kept for Tail */
#define INIT_TIMEOUT_MS             10000   /* the Init phase limit */
#define LOG_LINE_MAX_BYTES          262144  /* one log event; longer lines are split */
#define LOG_FLUSH_INTERVAL_MS       100     /* how often log events are written to the store */
#define FINISH_GRACE_MS             100     /* an answered instance has this long to ask for more */
#define SPAWN_BATCH                 8       /* instances started per loop turn in a burst */
#define FREEZE_DELAY_MS             50      /* an idle instance is frozen after this */
#define SANDBOX_RUNTIME_PORT        9001    /* Runtime API inside an instance's network */
#define SANDBOX_EDGE_PORT           4566    /* lambdad's AWS APIs inside an instance's network */
#define PEAK_MEM_REFRESH_US         50000   /* REPORT's Max Memory Used is re-read this often */
#define HTTP_LISTENER_QUARANTINE_MS 30000   /* a closed Runtime API endpoint is not reused sooner */
#define SHUTDOWN_GRACE_MS           10000   /* SIGTERM: time in-flight invocations get */
#define EXT_MAX                     10      /* extensions per function (AWS's limit) */
#define GW_ACCESS_LINE_MAX          8192    /* one access log line of an API stage */
#define GW_JWKS_TTL_MS              3600000 /* a JWT issuer's key set is kept this long */
#define GW_JWKS_RETRY_MS            10000   /* an issuer that failed is not asked again sooner */
#define GW_JWKS_MAX_BYTES           1048576 /* a discovery document or key set */
#define EXT_NAME_MAX                255     /* bytes of Lambda-Extension-Name (a file name) */
#define EXT_SHUTDOWN_MS             2000    /* SHUTDOWN to SIGKILL with external extensions */
#define EXT_REQUEST_MAX_BYTES       65536   /* an Extensions API request body */

/* The function log writer (invoke/logs.c). */
#define LOG_BATCH_MAX_EVENTS      8192     /* a batch this full is written at once */
#define LOG_BACKLOG_MAX_BYTES     8388608  /* queued log bytes past which output pipes pause */
#define LOG_BATCH_KEEP_BYTES      33554432 /* a written batch larger than this is freed */
#define LOG_BACKLOG_RESERVE_BYTES 58720256 /* then platform lines only; past it, invokes wait */
#define LOG_HOLD_MAX_MS           2000     /* an invocation waits this long for log room */
#define LOG_WRITE_RETRY_MS        1000     /* a failed log write (full disk) is retried */
#define LOG_CAP_WARN_MS           60000    /* deletions by the log storage cap are logged */
#define LOG_DRAIN_CONGESTED_BYTES 65536    /* read per pipe before END past the backlog bound */
#define LOG_PIPE_READ_BYTES       65536    /* what a resumed output pipe may add (its capacity) */

/* CloudWatch Logs API (src/cwlogs/), AWS's documented quotas */
#define CWLOGS_NAME_MAX           512          /* characters of a log group or stream name */
#define CWLOGS_REQUEST_MAX_BYTES  2097152      /* a Logs API request body (a 1 MiB batch as JSON) */
#define CWLOGS_PUT_MAX_EVENTS     10000        /* events per PutLogEvents */
#define CWLOGS_PUT_MAX_BYTES      1048576      /* PutLogEvents batch: messages + 26 bytes each */
#define CWLOGS_EVENT_MAX_BYTES    262144       /* one event's message (256 KiB) */
#define CWLOGS_EVENTS_MAX         10000        /* events per Get/FilterLogEvents page */
#define CWLOGS_RESPONSE_MAX_BYTES 1048576      /* message bytes per Get/FilterLogEvents page */
#define CWLOGS_FILTER_SCAN_MAX    100000       /* events FilterLogEvents examines per call */
#define CWLOGS_DESCRIBE_MAX       50           /* groups or streams per Describe page */
#define CWLOGS_FILTER_STREAMS_MAX 100          /* logStreamNames per FilterLogEvents */
#define CWLOGS_PATTERN_MAX        1024         /* characters of a filter pattern */
#define CWLOGS_PAST_MAX_MS        1209600000LL /* PutLogEvents: older events are refused (14 d) */
#define CWLOGS_FUTURE_MAX_MS      7200000      /* PutLogEvents: or more than 2 h in the future */
#define CWLOGS_EXPIRE_INTERVAL_MS 60000        /* how often retention is enforced */
/* API Gateway (src/gateway/), AWS's documented HTTP API quotas */
#define GW_ROUTE_KEY_MAX          512      /* characters of a route key */
#define GW_ROUTE_SEGMENTS_MAX     32       /* path segments of a route key */
#define GW_NAME_MAX               128      /* characters of an API or stage name */
#define GW_DESCRIPTION_MAX        1024     /* characters of a description */
#define GW_ROUTES_MAX             300      /* routes per API */
#define GW_INTEGRATIONS_MAX       300      /* integrations per API */
#define GW_STAGES_MAX             10       /* stages per API */
#define GW_AUTHORIZERS_MAX        10       /* authorizers per API */
#define GW_RESOURCES_MAX          300      /* resources per REST API */
#define GW_DEPLOYMENTS_MAX        100      /* deployments kept per API */
#define GW_APIS_MAX               600      /* APIs per account and region */
#define GW_STAGE_VAR_VALUE_MAX    2048     /* characters of a stage variable value */
#define GW_TIMEOUT_MIN_MS         50       /* integration timeoutInMillis */
#define GW_TIMEOUT_MAX_MS         30000    /* integration timeoutInMillis (and its default) */
#define GW_REST_TIMEOUT_MAX_MS    29000    /* a REST API integration's (and its default) */
#define GW_AUTHORIZER_TIMEOUT_MS  10000    /* a Lambda authorizer's invocation */
#define GW_AUTH_CACHE_MAX         1000     /* cached authorizer decisions per API */
#define GW_LIST_DEFAULT           100      /* items per Get* page without maxResults */
#define GW_BODY_MAX_BYTES         10485760 /* request body of an HTTP API (10 MB) */
#define GW_HEADERS_MAX_BYTES      10240    /* request header names and values of an HTTP API */
#define GW_CORS_MAX_AGE_S         86400    /* corsConfiguration.maxAge */
#define GW_REQUEST_ID_BYTES       11 /* random bytes of an apigw-requestid (16 base64 chars) */
#endif
