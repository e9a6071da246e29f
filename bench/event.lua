-- wrk script: queue an asynchronous (Event) invoke of the Invoke URL given on the command line.
wrk.method = "POST"
wrk.body = '{"bench":true}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Amz-Invocation-Type"] = "Event"
