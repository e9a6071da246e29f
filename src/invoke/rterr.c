/* SPDX-License-Identifier: MIT */
#include "rterr.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

char *rterr_json(const char *type, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "errorMessage", msg);
    cJSON_AddStringToObject(o, "errorType", type);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text == NULL)
        abort();
    return text;
}

void rterr_send(h2o_req_t *req, int status, const char *type, const char *msg)
{
    char *text = rterr_json(type, msg);
    http_send(req, status, "application/json", text, strlen(text));
    free(text);
}
