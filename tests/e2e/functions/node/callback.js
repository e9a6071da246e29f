// Callback-style handler.
exports.handler = (event, context, callback) => {
  setTimeout(() => {
    if (event && event.fail) callback(new Error('callback failed: ' + event.fail));
    else callback(null, { style: 'callback', event, requestId: context.awsRequestId });
  }, 10);
};
