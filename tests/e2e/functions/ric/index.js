// Handler run by aws-lambda-ric.
exports.handler = async (event, context) => {
  if (event && event.throw) {
    const e = new Error(event.throw);
    e.name = 'RicError';
    throw e;
  }
  return { runtime: 'aws-lambda-ric', event, requestId: context.awsRequestId, functionName: context.functionName };
};
