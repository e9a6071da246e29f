-- wrk script: POST a small JSON payload to the Invoke URL given on the command line.
wrk.method = "POST"
wrk.body = '{"bench":true}'
wrk.headers["Content-Type"] = "application/json"
