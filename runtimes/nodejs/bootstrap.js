'use strict';
/**
 * lambdad bootstrap for the managed Node.js runtimes (nodejs12.x .. nodejs22.x).
 *
 * Started by the daemon as `node bootstrap.js` with cwd = $LAMBDA_TASK_ROOT.
 * It loads the handler named by $_HANDLER, then loops on the Lambda Runtime API
 * (2018-06-01) at $AWS_LAMBDA_RUNTIME_API: fetch the next event, call the
 * handler, post the result or the error.  The programming model (async and
 * callback handlers, context.succeed/fail/done, callbackWaitsForEmptyEventLoop),
 * the error payloads and the console log format follow AWS's Node.js runtime.
 *
 * Only Node core modules are used.
 */

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const API_PREFIX = '/2018-06-01/runtime';

// ---------------------------------------------------------------------------
// Runtime API client

/**
 * Minimal HTTP/1.1 client holding one persistent connection to the Runtime API.
 *
 * Hand-rolled rather than the http module: it halves the per-invoke overhead,
 * and each request leaves in a single write.  The socket is ref'd only while a
 * request is outstanding, so an idle connection never keeps the event loop
 * alive during an invocation (the 'beforeExit' based completion relies on it).
 */
class RuntimeAPIClient {
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.host = address.slice(0, colon);
    this.port = Number(address.slice(colon + 1));
    this.hostHeader = address;
    this.socket = null;
    this.exchange = null; // the request awaiting its response
  }

  async nextInvocation() {
    const res = await this.request('GET', '/invocation/next');
    if (res.status !== 200) {
      throw new Error(`GET /invocation/next returned HTTP ${res.status}: ${res.body}`);
    }
    return res;
  }

  postResponse(requestId, body) {
    return this.post(`/invocation/${encodeURIComponent(requestId)}/response`, body, '');
  }

  postError(requestId, payload) {
    const apiPath = `/invocation/${encodeURIComponent(requestId)}/error`;
    return this.post(apiPath, JSON.stringify(payload), errorTypeHeader(payload));
  }

  postInitError(payload) {
    return this.post('/init/error', JSON.stringify(payload), errorTypeHeader(payload));
  }

  async post(apiPath, body, headers) {
    const res = await this.request('POST', apiPath, body, `Content-Type: application/json\r\n${headers}`);
    // 4xx (e.g. 413 payload too large) fails only this invocation; 5xx means
    // the Runtime API is in a state the runtime should not continue from.
    if (res.status >= 500) {
      throw new Error(`POST ${apiPath} returned HTTP ${res.status}: ${res.body}`);
    }
  }

  /** One exchange; resolves to {status, headers (lower-case names), body (Buffer)}. */
  request(method, apiPath, body, headers = '') {
    let message = `${method} ${API_PREFIX}${apiPath} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n${headers}`;
    if (body !== undefined) message += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    message += `\r\n${body === undefined ? '' : body}`;
    return new Promise((resolve, reject) => this.send({ message, resolve, reject, retried: false }));
  }

  send(exchange) {
    exchange.reused = this.socket !== null;
    if (!exchange.reused) this.connect();
    Object.assign(exchange, { socket: this.socket, head: null, chunks: [], size: 0 });
    this.exchange = exchange;
    this.socket.ref();
    this.socket.write(exchange.message);
  }

  connect() {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    let error;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => (error = err)); // 'close' follows
    socket.on('close', () => this.onClose(socket, error));
    this.socket = socket;
  }

  onData(chunk) {
    const exchange = this.exchange;
    if (!exchange) return;
    exchange.chunks.push(chunk);
    exchange.size += chunk.length;
    if (!exchange.head) {
      const data = Buffer.concat(exchange.chunks);
      const end = data.indexOf('\r\n\r\n');
      exchange.chunks = [data];
      if (end < 0) return;
      exchange.head = parseResponseHead(data.toString('utf8', 0, end));
      exchange.chunks = [data.subarray(end + 4)];
      exchange.size = data.length - end - 4;
    }
    const body = completeBody(exchange);
    if (body === null) return;
    this.exchange = null;
    if (exchange.head.close) {
      this.socket = null;
      exchange.socket.destroy();
    } else {
      exchange.socket.unref();
    }
    exchange.resolve({ status: exchange.head.status, headers: exchange.head.headers, body });
  }

  onClose(socket, error) {
    if (this.socket === socket) this.socket = null;
    const exchange = this.exchange;
    if (!exchange || exchange.socket !== socket) return;
    this.exchange = null;
    if (exchange.head && exchange.head.untilClose) {
      const { status, headers } = exchange.head;
      exchange.resolve({ status, headers, body: Buffer.concat(exchange.chunks) });
    } else if (exchange.reused && exchange.size === 0 && !exchange.retried) {
      // The server closed the idle kept-alive connection: retry once on a new one.
      exchange.retried = true;
      this.send(exchange);
    } else {
      exchange.reject(error || new Error('Runtime API closed the connection'));
    }
  }
}

function errorTypeHeader(payload) {
  return `Lambda-Runtime-Function-Error-Type: ${payload.errorType}\r\n`;
}

function parseResponseHead(text) {
  const lines = text.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  const noBody = status < 200 || status === 204 || status === 304;
  const chunked = !noBody && /chunked/i.test(headers['transfer-encoding'] || '');
  let length = null;
  if (noBody) length = 0;
  else if (!chunked && headers['content-length'] !== undefined) length = Number(headers['content-length']);
  const untilClose = !chunked && length === null;
  const close = untilClose || /close/i.test(headers.connection || '');
  return { status, headers, length, chunked, untilClose, close };
}

/** The response body once fully received, else null. */
function completeBody(exchange) {
  const { head } = exchange;
  if (head.length !== null) {
    return exchange.size < head.length ? null : Buffer.concat(exchange.chunks).subarray(0, head.length);
  }
  if (!head.chunked) return null; // delimited by the connection closing
  const last = exchange.chunks[exchange.chunks.length - 1];
  if (last.length < 2 || last[last.length - 2] !== 13 || last[last.length - 1] !== 10) return null;
  const data = Buffer.concat(exchange.chunks);
  exchange.chunks = [data];
  return decodeChunked(data);
}

/** Decode a chunked transfer-encoded body; null while incomplete. */
function decodeChunked(data) {
  const parts = [];
  let pos = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd < 0) return null;
    const size = parseInt(data.toString('latin1', pos, lineEnd), 16);
    if (size === 0) return data.indexOf('\r\n\r\n', lineEnd) >= 0 ? Buffer.concat(parts) : null;
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return null;
    parts.push(data.subarray(start, start + size));
    pos = start + size + 2;
  }
}

// ---------------------------------------------------------------------------
// Errors

/** Runtime-detected failures carry a "Runtime.*" error type, like AWS's. */
function runtimeErrorClass(type) {
  const RuntimeError = class extends Error {};
  RuntimeError.prototype.name = `Runtime.${type}`;
  return RuntimeError;
}
const ImportModuleError = runtimeErrorClass('ImportModuleError');
const HandlerNotFound = runtimeErrorClass('HandlerNotFound');
const MalformedHandlerName = runtimeErrorClass('MalformedHandlerName');
const UserCodeSyntaxError = runtimeErrorClass('UserCodeSyntaxError');

class UnhandledPromiseRejection extends runtimeErrorClass('UnhandledPromiseRejection') {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}

class NodeJsExit extends runtimeErrorClass('NodeJsExit') {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly ' +
        'caused by a Promise that was never settled. For more information, see ' +
        'https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

function looksLikeError(value) {
  return (
    util.types.isNativeError(value) ||
    (value && typeof value.name === 'string' && typeof value.message === 'string' && typeof value.stack === 'string')
  );
}

/** The body posted to /error and /init/error: {errorType, errorMessage, trace}. */
function errorPayload(err) {
  try {
    if (looksLikeError(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: err.stack.split('\n') };
    }
    // Thrown non-errors: errorType is the JS type, e.g. "string" or "object".
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more ' +
        'of its message, name, and stack',
    };
  }
}

/** JSON form of an error for log lines: name, message, code, own enumerable fields, stack lines. */
function formatErrorForLog(err) {
  const asError = err instanceof Error ? err : new Error(err);
  try {
    return (
      '\t' +
      JSON.stringify(asError, (_key, value) => {
        if (!(value instanceof Error)) return value;
        const out = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
        if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
        return out;
      })
    );
  } catch (_) {
    return '\t' + JSON.stringify(errorPayload(asError));
  }
}

function logError(title, err) {
  console.error(title, formatErrorForLog(err));
}

// ---------------------------------------------------------------------------
// Console

// Request id of the current (or last) invocation; "undefined" in init logs, as on AWS.
let currentRequestId;

/**
 * Make console.* write "<ISO time>\t<request id>\t<LEVEL>\t<message>\n" to
 * stdout.  AWS_LAMBDA_LOG_LEVEL filters levels as on AWS.
 */
function patchConsole() {
  const levels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
  const minimum = Math.max(0, levels.indexOf((process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()));
  const logger = (level) => {
    if (levels.indexOf(level) < minimum) return () => {};
    return (...args) => {
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}\n`);
    };
  };
  console.trace = logger('TRACE');
  console.debug = logger('DEBUG');
  console.info = logger('INFO');
  console.log = console.info;
  console.warn = logger('WARN');
  console.error = logger('ERROR');
  console.fatal = logger('FATAL');
}

// ---------------------------------------------------------------------------
// Handler loading

function isModulePackage(folder) {
  // The nearest package.json decides whether .js files are ES modules.
  for (;;) {
    if (folder.endsWith('/node_modules')) return false;
    const packageJson = path.join(folder, 'package.json');
    if (fs.existsSync(packageJson)) {
      try {
        return JSON.parse(fs.readFileSync(packageJson, 'utf8')).type === 'module';
      } catch (err) {
        console.warn(`${packageJson} cannot be read, it will be ignored for ES module detection purposes.`, err);
        return false;
      }
    }
    const parent = path.dirname(folder);
    if (parent === folder) return false;
    folder = parent;
  }
}

async function importFile(file) {
  return import(pathToFileURL(file).href);
}

/**
 * Load <taskRoot>/<moduleRoot>/<moduleName> trying, like AWS: the exact name,
 * .js (CommonJS unless in a "type":"module" package), .mjs, .cjs, then
 * Node's own resolution (node_modules, directories).
 */
async function loadModule(taskRoot, moduleRoot, moduleName) {
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  if (fs.existsSync(base)) return require(base);
  const esm = isModulePackage(path.dirname(base));
  if (fs.existsSync(`${base}.js`)) return esm ? importFile(`${base}.js`) : require(`${base}.js`);
  if (fs.existsSync(`${base}.mjs`)) return importFile(`${base}.mjs`);
  if (fs.existsSync(`${base}.cjs`)) return require(`${base}.cjs`);
  return require(require.resolve(moduleName, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] }));
}

/** Resolve the handler string "[dir/]module.function[.nested]" to a function. */
async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. ` +
        'Use absolute paths when specifying root directories in handler names.',
    );
  }
  const slash = handlerString.lastIndexOf('/');
  const moduleRoot = handlerString.slice(0, slash + 1);
  const match = handlerString.slice(slash + 1).match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;

  let userModule;
  try {
    userModule = await loadModule(taskRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UserCodeSyntaxError(err);
    if (err && err.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(err);
    throw err;
  }

  const handler = handlerPath.split('.').reduce((obj, key) => obj && obj[key], userModule);
  if (!handler) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${handlerString} is not a function`);
  return handler;
}

// ---------------------------------------------------------------------------
// Invocation

const client = new RuntimeAPIClient(process.env.AWS_LAMBDA_RUNTIME_API);
let initializing = true;
// The invocation in progress until its outcome has been posted: {requestId, posted}.
let activeInvocation = null;
// Run when the event loop empties (process 'beforeExit'): completes a callback
// handler that waits for an empty loop, or one that never completed at all.
let onEmptyEventLoop = null;

function parseHeaderJson(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

function postInvocationError(requestId, err) {
  logError('Invoke Error', err);
  return client.postError(requestId, errorPayload(err));
}

function postInvocationResponse(requestId, result) {
  let body;
  try {
    body = JSON.stringify(result) ?? 'null';
  } catch (_) {
    return postInvocationError(requestId, new Error('Unable to stringify response body'));
  }
  return client.postResponse(requestId, body);
}

/** Run one invocation; resolves once its outcome has been posted. */
function invoke(handler, isAsyncHandler, { headers, body }) {
  const requestId = headers['lambda-runtime-aws-request-id'];
  currentRequestId = requestId;
  if (headers['lambda-runtime-trace-id']) {
    process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  const invocation = { requestId, posted: false };
  activeInvocation = invocation;

  return new Promise((resolve, reject) => {
    const finish = (post) => {
      onEmptyEventLoop = null;
      if (invocation.posted) return;
      invocation.posted = true;
      activeInvocation = null;
      post().then(resolve, reject);
    };

    // Only the first of callback / succeed / fail / done / promise settlement counts.
    let completed = false;
    const once = (fn) => (...args) => {
      if (!completed) {
        completed = true;
        fn(...args);
      }
    };
    let waitForEmptyEventLoop = true;
    const isFailure = (err) => err !== undefined && err !== null;
    const done = once((err, result) =>
      finish(() => (isFailure(err) ? postInvocationError(requestId, err) : postInvocationResponse(requestId, result))),
    );
    const fail = (err) => done(isFailure(err) ? err : 'handled');
    const succeed = (result) => done(null, result);
    const callback = once((err, result) => {
      if (isFailure(err)) {
        finish(() => postInvocationError(requestId, err));
      } else if (!waitForEmptyEventLoop) {
        finish(() => postInvocationResponse(requestId, result));
      } else {
        onEmptyEventLoop = () => finish(() => postInvocationResponse(requestId, result));
      }
    });

    // If the loop empties before the handler completed: an async handler left a
    // promise unsettled (an error on AWS); a sync one forgot the callback (null).
    onEmptyEventLoop = once(() =>
      finish(() =>
        isAsyncHandler ? postInvocationError(requestId, new NodeJsExit()) : postInvocationResponse(requestId, null),
      ),
    );

    try {
      const deadline = Number(headers['lambda-runtime-deadline-ms']);
      const context = {
        get callbackWaitsForEmptyEventLoop() {
          return waitForEmptyEventLoop;
        },
        set callbackWaitsForEmptyEventLoop(value) {
          waitForEmptyEventLoop = value;
        },
        succeed,
        fail,
        done,
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        clientContext: parseHeaderJson(headers['lambda-runtime-client-context'], 'ClientContext'),
        identity: parseHeaderJson(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
        invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
        awsRequestId: requestId,
        getRemainingTimeInMillis: () => deadline - Date.now(),
      };
      const result = handler(JSON.parse(body.toString('utf8')), context, callback);
      if (result && typeof result.then === 'function') {
        result.then(succeed, fail);
      }
    } catch (err) {
      callback(err);
    }
  });
}

/**
 * Uncaught exceptions and unhandled rejections end the process, as on AWS:
 * the error is reported for the invocation in progress (or as an init error
 * during init), then the process exits with 129 / 128.
 */
let exiting = false;
function crash(err, exitCode) {
  if (exiting) return;
  exiting = true;
  const payload = errorPayload(err);
  let report = Promise.resolve();
  if (initializing) {
    report = client.postInitError(payload);
  } else if (activeInvocation && !activeInvocation.posted) {
    activeInvocation.posted = true;
    report = client.postError(activeInvocation.requestId, payload);
  }
  report.finally(() => process.exit(exitCode)).catch(() => {});
}

async function main() {
  patchConsole();
  process.on('uncaughtException', (err) => {
    logError('Uncaught Exception', err);
    crash(err, 129);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const err = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', err);
    crash(err, 128);
  });
  process.on('beforeExit', () => {
    const run = onEmptyEventLoop;
    onEmptyEventLoop = null;
    if (run) run();
  });

  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || process.cwd(), process.env._HANDLER || '');
  } catch (err) {
    // Reported the way AWS reports it: through the uncaught-exception path.
    logError('Uncaught Exception', err);
    crash(err, 129);
    return;
  }
  if (exiting) return; // user code crashed asynchronously while loading
  initializing = false;
  const isAsyncHandler = handler.constructor && handler.constructor.name === 'AsyncFunction';

  for (;;) {
    const invocation = await client.nextInvocation();
    await invoke(handler, isAsyncHandler, invocation);
  }
}

main().catch((err) => {
  // Only Runtime API failures get here; the runtime cannot continue.
  process.stderr.write(`lambdad node runtime: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
