// Test handler for the nodejs*.x runtimes (async style). The event selects what it does.
const crypto = require('crypto');

const INSTANCE = crypto.randomBytes(8).toString('hex');

class CustomNodeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CustomNodeError';
  }
}

exports.handler = async (event, context) => {
  const start = Date.now() / 1000;
  const ev = event && typeof event === 'object' ? event : {};
  if (ev.print) console.log(ev.print);
  if (ev.sleep) await new Promise((resolve) => setTimeout(resolve, ev.sleep * 1000));
  if (ev.throw) throw new CustomNodeError(ev.throw);
  return {
    runtime: 'node',
    event,
    instance: INSTANCE,
    pid: process.pid,
    start,
    end: Date.now() / 1000,
    requestId: context.awsRequestId,
    functionName: context.functionName,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: String(context.memoryLimitInMB),
    remainingMs: context.getRemainingTimeInMillis(),
    env: {
      AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
      _HANDLER: process.env._HANDLER,
      LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
      AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV,
      MY_VAR: process.env.MY_VAR,
    },
    node: process.version,
  };
};
