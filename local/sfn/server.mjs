// Local Step Functions endpoint for Stepscaler.
//
// Serves the Step Functions AWS JSON 1.0 API on 127.0.0.1 for ONE state
// machine and runs its real ASL definition with aws-local-stepfunctions.
// Task states whose Resource is a Lambda function ARN are sent to a Lambda
// Runtime Interface Emulator (RIE). Nothing here talks to AWS.
//
//   node local/sfn/server.mjs --definition statemachine/scale.asl.json \
//     --substitutions '{"ScaleFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:Scale"}' \
//     --lambda '{"arn:aws:lambda:us-east-1:123456789012:function:Scale":"http://127.0.0.1:9001"}'
//
// See README.md next to this file for the flags and the differences from AWS.

// aws-local-stepfunctions 3.0.0 declares Node >= 22 only for Promise.withResolvers.
Promise.withResolvers ??= function () { let resolve, reject; const promise = new this((res, rej) => { resolve = res; reject = rej; }); return { promise, resolve, reject }; };

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { StateMachine } = await import('aws-local-stepfunctions');

// "Maximum input or output size for a task, state, or execution: 256 KiB of data
// as a UTF-8 encoded string" (Step Functions Developer Guide, Service quotas).
const MAX_PAYLOAD_BYTES = 256 * 1024;
// "Maximum execution history size: 25,000 events" (same page); --max-history-events
// lowers it so that a test can reach it quickly.
const DEFAULT_MAX_HISTORY_EVENTS = 25000;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const STATUSES = new Set(['RUNNING', ...TERMINAL]);
const RIE_INVOKE_PATH = '/2015-03-31/functions/function/invocations';

// ---------------------------------------------------------------------------
// Logging (stderr, one JSON object per line) and startup errors.

function log(fields) {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...fields }) + '\n');
}

class StartupError extends Error {}

// ---------------------------------------------------------------------------
// Configuration.

function parseJSONFlag(flag, text) {
  if (text === undefined) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StartupError(`--${flag} is not valid JSON: ${err.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StartupError(`--${flag} must be a JSON object`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new StartupError(`--${flag}: value for ${JSON.stringify(k)} must be a string`);
  }
  return value;
}

function parseMillis(flag, text) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) {
    throw new StartupError(`--${flag} must be a non-negative integer number of milliseconds`);
  }
  return n;
}

function parseCount(flag, text, min, fallback) {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new StartupError(`--${flag} must be an integer of at least ${min}`);
  return n;
}

function loadConfig(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      definition: { type: 'string' },
      substitutions: { type: 'string' },
      name: { type: 'string', default: 'Scale' },
      region: { type: 'string', default: 'us-east-1' },
      account: { type: 'string', default: '123456789012' },
      lambda: { type: 'string' },
      'wait-override-ms': { type: 'string' },
      'retry-override-ms': { type: 'string' },
      'max-history-events': { type: 'string' },
      port: { type: 'string', default: '0' },
    },
  });
  if (!values.definition) throw new StartupError('--definition FILE is required');
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(values.name)) {
    throw new StartupError(`--name ${JSON.stringify(values.name)}: use 1-80 letters, digits, '-' or '_'`);
  }
  if (!/^[a-z0-9-]+$/.test(values.region)) throw new StartupError(`--region ${JSON.stringify(values.region)} is not a region`);
  if (!/^\d{12}$/.test(values.account)) throw new StartupError(`--account ${JSON.stringify(values.account)} must be 12 digits`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`--port ${values.port} is not a port`);

  let text;
  try {
    text = readFileSync(values.definition, 'utf8');
  } catch (err) {
    throw new StartupError(`cannot read --definition: ${err.message}`);
  }
  const substitutions = parseJSONFlag('substitutions', values.substitutions);
  // Like CloudFormation DefinitionSubstitutions: plain text replacement of ${Key}.
  for (const [key, value] of Object.entries(substitutions)) {
    text = text.split('${' + key + '}').join(value);
  }
  const left = [...new Set(text.match(/\$\{[^}]*\}/g) ?? [])];
  if (left.length > 0) {
    throw new StartupError(`definition still contains placeholders after substitution: ${left.join(', ')} (pass them in --substitutions)`);
  }
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    throw new StartupError(`definition is not valid JSON after substitution: ${err.message}`);
  }

  const lambdas = parseJSONFlag('lambda', values.lambda);
  for (const [arn, url] of Object.entries(lambdas)) {
    let u;
    try {
      u = new URL(url);
    } catch {
      throw new StartupError(`--lambda: ${JSON.stringify(url)} for ${arn} is not a URL`);
    }
    if (u.protocol !== 'http:') throw new StartupError(`--lambda: ${url} for ${arn} must be an http:// URL`);
    lambdas[arn] = url.replace(/\/+$/, '');
  }

  const region = values.region;
  const account = values.account;
  const name = values.name;
  return {
    text,
    definition,
    lambdas,
    name,
    region,
    account,
    port,
    waitOverrideMs: parseMillis('wait-override-ms', values['wait-override-ms']),
    retryOverrideMs: parseMillis('retry-override-ms', values['retry-override-ms']),
    // At least ExecutionStarted and the ExecutionFailed that ends an execution at the limit.
    maxHistoryEvents: parseCount('max-history-events', values['max-history-events'], 2, DEFAULT_MAX_HISTORY_EVENTS),
    stateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${name}`,
    roleArn: `arn:aws:iam::${account}:role/StepscalerLocal`,
  };
}

// Every state of the definition, including the ones inside Parallel branches and Map iterators.
function walkStates(definition, visit) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    visit(name, state);
    for (const branch of state.Branches ?? []) walkStates(branch, visit);
    if (state.Iterator) walkStates(state.Iterator, visit);
    if (state.ItemProcessor) walkStates(state.ItemProcessor, visit);
  }
}

// ---------------------------------------------------------------------------
// API errors.

class APIError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

const apiError = (type, message) => new APIError(type, message);

// ---------------------------------------------------------------------------
// Lambda invocation through RIE.

// How Step Functions reports what Lambda answered to a Task whose Resource is a
// function ARN. RIE answers differently from Lambda's Invoke API (no
// X-Amz-Function-Error header; HTTP 200 and plain text on a timeout; 502 when
// the runtime exits), so its answers are first put in Lambda's terms:
//
// - A function error (the runtime posted {"errorMessage","errorType",...} to
//   /invocation/error; RIE answers 200 with it): Error is the payload's
//   errorType, Cause the whole payload as a JSON string. Recorded from AWS:
//   LambdaFunctionFailed {"error":"Exception","cause":"{\"errorMessage\":...,
//   \"errorType\":\"Exception\",...}"} (localstack/localstack's snapshot
//   test_task_lambda.snapshot.json, validated against AWS; also
//   alexcasalboni/aws-lambda-power-tuning#59).
// - An error Lambda itself reports for the function (a timeout, the runtime
//   exiting: out of memory, a crash, os.Exit): Lambda.Unknown. "Unhandled
//   errors in Lambda are reported as Lambda.Unknown in the error output. These
//   include out-of-memory errors and function timeouts." (Step Functions
//   Developer Guide, Error names; Best practices, Handle Lambda service
//   exceptions). The Cause quotes Lambda's payload: "The cause could not be
//   determined because Lambda did not return an error type. Returned payload:
//   {...}" (an execution's error and cause captured in cdklabs/construct-hub#713).
//   Lambda's payload for a timeout is
//   {"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task
//   timed out after 10.00 seconds"} (Invoke with FunctionError Unhandled,
//   captured in seek-oss/aws-codedeploy-hooks#81); for an exit,
//   {"errorType":"Runtime.ExitError","errorMessage":"RequestId: <id> Error:
//   Runtime exited with error: exit status 2"} (aws/aws-lambda-dotnet#480),
//   which RIE sends as it is.
// - Lambda not answering at all: Lambda.ServiceException, the transient
//   service fault the ASL retries as such.
const UNKNOWN_CAUSE_PREFIX = 'The cause could not be determined because Lambda did not return an error type. Returned payload: ';

// RIE's answer to an invocation that ran out of time: HTTP 200 and this text
// (aws-lambda-runtime-interface-emulator, internal/lambda/rie/handlers.go).
const RIE_TIMEOUT = /^Task timed out after (\d+(?:\.\d+)?) seconds$/;

// Error types that Lambda (RIE's rapid core: internal/lambda/fatalerror)
// reports for a function, as opposed to the ones a runtime reports for it.
const PLATFORM_ERROR = /^(Runtime|Sandbox|Extension|Function)\./;

// One RIE instance runs one invocation at a time: chain invocations per URL.
const rieQueues = new Map();
function serialized(url, fn) {
  const run = (rieQueues.get(url) ?? Promise.resolve()).then(fn);
  rieQueues.set(url, run.catch(() => {}));
  return run;
}

function parseJSON(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// POST the payload to RIE. Resolves to one of
//   {kind: 'ok', payload, text}              function returned (text: the raw payload)
//   {kind: 'function', errorType, payload}   function error (payload: the error JSON, as sent)
//   {kind: 'unknown', payload}               Lambda reports the function failed (timeout, exit)
//   {kind: 'sandbox', message}               RIE could not run the invocation (see invokeWhenReady)
//   {kind: 'service', started, message}      RIE unreachable or answering like no Lambda does
// onStarted() is called once the connection to RIE is established.
function invokeRIE(url, payload, onStarted) {
  return new Promise((resolve) => {
    let started = false;
    const markStarted = () => {
      if (!started) {
        started = true;
        onStarted();
      }
    };
    // The request id RIE logs (START/END/REPORT lines) and quotes in the
    // errors it reports, as Lambda's are.
    const requestId = randomUUID();
    const body = Buffer.from(JSON.stringify(payload));
    const req = http.request(url + RIE_INVOKE_PATH, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-amzn-requestid': requestId },
    });
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', markStarted);
      else markStarted();
    });
    req.on('error', (err) => {
      resolve({ kind: 'service', started, message: `Lambda endpoint ${url} failed: ${err.code ?? err.message}` });
    });
    req.on('response', (res) => {
      markStarted();
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => resolve({ kind: 'service', started, message: `Lambda endpoint ${url} failed: ${err.message}` }));
      res.on('end', () => resolve(classifyRIEAnswer(url, requestId, res, Buffer.concat(chunks).toString('utf8'))));
    });
    req.end(body);
  });
}

// classifyRIEAnswer puts an RIE answer in the terms of Lambda's Invoke API.
function classifyRIEAnswer(url, requestId, res, text) {
  const json = text.trim() === '' ? { ok: true, value: null } : parseJSON(text);
  const errorType = json.ok && isObject(json.value) && typeof json.value.errorType === 'string' ? json.value.errorType : undefined;
  if (res.statusCode === 200) {
    const timedOut = RIE_TIMEOUT.exec(text.trim());
    if (timedOut) {
      // Lambda's own answer to a timeout, with the seconds as RIE counts them.
      const seconds = Number(timedOut[1]).toFixed(2);
      return {
        kind: 'unknown',
        payload: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds` }),
      };
    }
    if (!json.ok) {
      return { kind: 'service', started: true, message: `Lambda endpoint ${url} returned a payload that is not JSON: ${text.slice(0, 300)}` };
    }
    const looksLikeError = errorType !== undefined && typeof json.value.errorMessage === 'string';
    if (looksLikeError) return { kind: 'function', errorType, payload: text };
    if (res.headers['x-amz-function-error']) {
      // An error payload without an error type: what "Lambda did not return an
      // error type" says.
      return errorType === undefined ? { kind: 'unknown', payload: text } : { kind: 'function', errorType, payload: text };
    }
    return { kind: 'ok', payload: json.value, text };
  }
  if (res.statusCode === 502) {
    // RIE's "invoke done failed" / "init done failed": the runtime exited (its
    // payload is Lambda's Runtime.ExitError), or reported an error and then
    // exited (aws-lambda-go does so on a panic: the error it reported is the
    // answer, as on Lambda).
    if (errorType === 'Sandbox.Failure') return { kind: 'sandbox', message: text };
    if (errorType !== undefined && !PLATFORM_ERROR.test(errorType)) return { kind: 'function', errorType, payload: text };
    return { kind: 'unknown', payload: text };
  }
  return { kind: 'service', started: true, message: `Lambda endpoint ${url} answered HTTP ${res.statusCode}: ${text.slice(0, 300)}` };
}

// How long RIE may take to be ready again after it ended an invocation (a
// timeout, an exit): its reset allows the runtime 2 s (rapidcore's
// resetDefaultTimeoutMs), and RIE itself waits only 100 ms before answering.
const RIE_RESET_MS = 3000;
const RIE_RETRY_PAUSE_MS = 100;

// invokeWhenReady invokes through RIE like invokeRIE. An invocation that
// arrives while RIE is still resetting the runtime fails in RIE itself (HTTP
// 502, Sandbox.Failure, "ErrGateCanceled"), before reaching the function; that
// is no answer Lambda gives, which runs each invocation in a ready execution
// environment. So it is sent again, until RIE has had time to reset; after
// that it is the Lambda service failing. onStarted is called once at most;
// abandoned() stops the attempts.
async function invokeWhenReady(url, payload, onStarted, abandoned) {
  let started = false;
  const once = () => {
    if (!started) {
      started = true;
      onStarted();
    }
  };
  const deadline = Date.now() + RIE_RESET_MS;
  for (;;) {
    const result = await invokeRIE(url, payload, once);
    if (result.kind !== 'sandbox') return result;
    if (abandoned()) return { kind: 'skipped' };
    if (Date.now() >= deadline) {
      return { kind: 'service', started, message: `Lambda endpoint ${url} could not run the invocation for ${RIE_RESET_MS} ms: ${result.message.slice(0, 300)}` };
    }
    await new Promise((resolve) => setTimeout(resolve, RIE_RETRY_PAUSE_MS));
  }
}

// aws-local-stepfunctions matches Retry/Catch ErrorEquals against error.name;
// Catch puts error.message into Cause.
function taskError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

// ---------------------------------------------------------------------------
// Executions.

const config = (() => {
  try {
    return loadConfig(process.argv.slice(2));
  } catch (err) {
    log({ level: 'error', msg: err instanceof StartupError || err.code?.startsWith?.('ERR_PARSE_ARGS') ? err.message : String(err.stack ?? err) });
    process.exit(2);
  }
})();

const stateDefs = new Map(); // state name -> definition (first one wins for nested duplicates)
const lambdaTasks = new Map(); // Task state name -> {resource, url, timeoutSeconds}
const waitOverrides = {};
const retryOverrides = {};
{
  const unmapped = [];
  walkStates(config.definition, (name, state) => {
    if (!stateDefs.has(name)) stateDefs.set(name, state);
    if (state.Type === 'Task') {
      const url = config.lambdas[state.Resource];
      if (url === undefined) {
        unmapped.push(`${name} (${state.Resource})`);
      } else {
        const prev = lambdaTasks.get(name);
        if (prev && prev.resource !== state.Resource) {
          unmapped.push(`${name} (two Task states with this name use different resources)`);
        }
        lambdaTasks.set(name, { resource: state.Resource, url, timeoutSeconds: state.TimeoutSeconds });
      }
    }
    if (state.Type === 'Wait' && config.waitOverrideMs !== undefined) waitOverrides[name] = config.waitOverrideMs;
    if (state.Retry && config.retryOverrideMs !== undefined) retryOverrides[name] = config.retryOverrideMs;
  });
  if (unmapped.length > 0) {
    log({ level: 'error', msg: `Task states without a --lambda endpoint (nothing may call AWS): ${unmapped.join(', ')}` });
    process.exit(2);
  }
}

let machine;
try {
  machine = new StateMachine(config.definition);
} catch (err) {
  log({ level: 'error', msg: `invalid state machine definition: ${err.message}` });
  process.exit(2);
}
const creationDate = Date.now();

const executions = new Map(); // executionArn -> execution
const executionsByName = new Map(); // name -> execution
let executionSeq = 0;

// The cause Step Functions gives a States.DataLimitExceeded, for a state (its
// name) or a Lambda task's result (the function's ARN). Captured from AWS:
// "The state/task 'arn:aws:lambda:...:function:aft-customizations-identify-targets'
// returned a result with a size exceeding the maximum number of bytes service
// limit." (aws-ia/terraform-aws-control_tower_account_factory#414), "The
// state/task 'ProcessAllItems' returned a result ..."
// (aws-samples/review-and-assessment-powered-by-intelligent-documentation#58),
// and localstack/localstack's snapshots validated against AWS
// (test_states_errors.snapshot.json).
const dataLimitCause = (what) =>
  `The state/task '${what}' returned a result with a size exceeding the maximum number of bytes service limit.`;

const overPayloadLimit = (text) => Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES;

// addEvent appends an event to a running execution's history; once the
// execution is closed it records nothing. The history holds at most
// config.maxHistoryEvents events and the last of them is the failure: an
// event that would take that slot fails the execution instead, as AWS does
// ("States.Runtime", "The execution reached the maximum number of history
// events (25000).", event 25,000 being the ExecutionFailed that follows event
// 24,999: floci-io/floci#2734, measured on AWS; also loads/ardere#86). No
// Catch sees it. Returns the event, or undefined if none was recorded.
function addEvent(exec, type, detailsKey, details, timestamp = Date.now()) {
  if (exec.closed) return undefined;
  if (exec.events.length >= config.maxHistoryEvents - 1) {
    failExecution(exec, 'States.Runtime', `The execution reached the maximum number of history events (${config.maxHistoryEvents}).`, timestamp);
    return undefined;
  }
  return pushEvent(exec, type, detailsKey, details, timestamp);
}

function pushEvent(exec, type, detailsKey, details, timestamp) {
  const id = exec.events.length + 1;
  const event = { id, previousEventId: id - 1, timestamp, type };
  if (detailsKey) event[detailsKey] = details;
  exec.events.push(event);
  if (type.endsWith('StateEntered')) {
    log({ execution: exec.name, state: details.name, event: type, status: exec.status });
  } else if (/^(Execution|LambdaFunction(Failed|StartFailed|TimedOut))/.test(type)) {
    const extra = details && details.error !== undefined ? { error: details.error, cause: details.cause } : {};
    log({ execution: exec.name, state: exec.currentState?.name, event: type, status: exec.status, ...extra });
  }
  return event;
}

function stringifyCause(cause) {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

// finish closes the execution with its terminal event, which takes the last
// slot of the history if it is the only one left.
function finish(exec, status, timestamp, type, detailsKey, details) {
  if (exec.closed) return;
  exec.closed = true;
  for (const inv of exec.pending) inv.done = true;
  exec.pending.clear();
  if (exec.status === 'RUNNING') {
    exec.status = status;
    exec.stopDate = timestamp;
  }
  pushEvent(exec, type, detailsKey, details, timestamp);
}

// failExecution ends a running execution as Step Functions does when a limit
// is reached: FAILED with error and cause, whatever the definition's Retry and
// Catch say, and the engine stops.
function failExecution(exec, error, cause, timestamp = Date.now()) {
  if (exec.closed) return;
  exec.error = error;
  exec.cause = cause;
  finish(exec, 'FAILED', timestamp, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
  exec.abort(); // the engine's ExecutionAborted comes after the close and is not recorded
}

// Turn the engine's event log into Step Functions history events. The Lambda
// events are added by the task handlers themselves (see lambdaHandlers).
async function consumeEngineEvents(exec, eventLogs) {
  try {
    for await (const ev of eventLogs) {
      if (exec.closed) continue; // failed at a limit: the engine's last events are not history
      switch (ev.type) {
        case 'StateEntered':
          exec.currentState = ev.state;
          addEvent(exec, `${ev.state.type}StateEntered`, 'stateEnteredEventDetails', {
            name: ev.state.name,
            input: JSON.stringify(ev.state.input ?? null),
            inputDetails: { truncated: false },
          }, ev.timestamp);
          break;
        case 'StateExited': {
          const output = JSON.stringify(ev.state.output ?? null);
          if (overPayloadLimit(output)) {
            // A state's output over the quota fails the execution at the
            // transition, after its StateEntered and without a StateExited
            // (AWS-recorded: ExecutionStarted, PassStateEntered, ExecutionFailed
            // {"error":"States.DataLimitExceeded"} in localstack/localstack's
            // test_states_errors.snapshot.json, test_start_large_input). It is
            // "a terminal error" (Developer Guide, Error names) that no Catch
            // fires for (cdklabs/construct-hub#1885).
            failExecution(exec, 'States.DataLimitExceeded', dataLimitCause(ev.state.name), ev.timestamp);
            break;
          }
          addEvent(exec, `${ev.state.type}StateExited`, 'stateExitedEventDetails', {
            name: ev.state.name,
            output,
            outputDetails: { truncated: false },
          }, ev.timestamp);
          break;
        }
        case 'StateFailed': {
          exec.failedState = ev.state;
          if (ev.Error === 'States.Timeout') {
            for (const inv of exec.pending) {
              if (inv.stateName === ev.state.name && !inv.done) {
                inv.done = true;
                exec.pending.delete(inv);
                addEvent(exec, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', {
                  error: 'States.Timeout',
                  cause: stringifyCause(ev.Cause),
                }, ev.timestamp);
              }
            }
          }
          break;
        }
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = ev.type[0].toLowerCase() + ev.type.slice(1) + 'EventDetails';
          addEvent(exec, ev.type, key, { name: ev.parentState.name, index: ev.index }, ev.timestamp);
          break;
        }
        case 'ExecutionSucceeded': {
          const output = JSON.stringify(ev.output ?? null);
          exec.output = output;
          finish(exec, 'SUCCEEDED', ev.timestamp, 'ExecutionSucceeded', 'executionSucceededEventDetails', {
            output,
            outputDetails: { truncated: false },
          });
          break;
        }
        case 'ExecutionFailed': {
          let error = ev.Error;
          let cause = stringifyCause(ev.Cause);
          // A Fail state without Error/Cause fails without them on AWS too.
          const failDef = exec.failedState?.type === 'Fail' ? stateDefs.get(exec.failedState.name) : undefined;
          if (failDef) {
            if (failDef.Error === undefined && failDef.ErrorPath === undefined) error = undefined;
            if (failDef.Cause === undefined && failDef.CausePath === undefined) cause = undefined;
          }
          exec.error = error;
          exec.cause = cause;
          finish(exec, 'FAILED', ev.timestamp, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
          break;
        }
        case 'ExecutionTimeout':
          exec.error = 'States.Timeout';
          exec.cause = undefined;
          finish(exec, 'TIMED_OUT', ev.timestamp, 'ExecutionTimedOut', 'executionTimedOutEventDetails', { error: 'States.Timeout' });
          break;
        case 'ExecutionAborted':
          finish(exec, 'ABORTED', exec.stopDate ?? ev.timestamp, 'ExecutionAborted', 'executionAbortedEventDetails', {
            error: exec.error,
            cause: exec.cause,
          });
          break;
        default:
          // ExecutionStarted is recorded by StartExecution; StateRetried, StateCaught
          // and Parallel branch events have no Step Functions history counterpart.
          break;
      }
    }
  } catch (err) {
    log({ level: 'error', execution: exec.name, msg: `event log: ${err.stack ?? err}` });
  }
  if (!exec.closed) {
    exec.error = 'States.Runtime';
    exec.cause = 'the local engine stopped without reporting the end of the execution';
    finish(exec, 'FAILED', Date.now(), 'ExecutionFailed', 'executionFailedEventDetails', { error: exec.error, cause: exec.cause });
  }
}

function lambdaHandlers(exec) {
  const handlers = {};
  for (const [stateName, { resource, url, timeoutSeconds }] of lambdaTasks) {
    handlers[stateName] = async (input) => {
      // The engine calls this right after queueing StateEntered; yield to the
      // event loop once so the history consumer records TaskStateEntered first.
      await new Promise((resolve) => setImmediate(resolve));
      if (exec.closed || exec.status !== 'RUNNING') throw taskError('States.Runtime', 'execution is no longer running');
      const inputText = JSON.stringify(input ?? null);
      if (overPayloadLimit(inputText)) {
        // "after Parameters processing, the input of a state is larger than the
        // payload size quota" (Developer Guide, Error names, States.DataLimitExceeded).
        failExecution(exec, 'States.DataLimitExceeded', dataLimitCause(stateName));
        throw taskError('States.Runtime', 'execution failed: task input over the payload quota');
      }
      const inv = { stateName, done: false };
      exec.pending.add(inv);
      const scheduled = { resource, input: inputText, inputDetails: { truncated: false } };
      if (Number.isInteger(timeoutSeconds)) scheduled.timeoutInSeconds = timeoutSeconds;
      addEvent(exec, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', scheduled);

      const result = await serialized(url, () => {
        if (inv.done) return { kind: 'skipped' }; // timed out, aborted or failed while queued
        return invokeWhenReady(url, input ?? null, () => {
          if (!inv.done) addEvent(exec, 'LambdaFunctionStarted');
        }, () => inv.done);
      });
      if (inv.done) throw taskError('States.Runtime', 'invocation abandoned');
      inv.done = true;
      exec.pending.delete(inv);

      switch (result.kind) {
        case 'ok':
          if (overPayloadLimit(result.text)) {
            // Caught by a Catch, States.ALL included, though the Developer Guide
            // calls it terminal: AWS-recorded in localstack/localstack's
            // test_states_errors.snapshot.json
            // (test_task_lambda_catch_state_all_data_limit_exceeded_on_large_utf8_response).
            const cause = dataLimitCause(resource);
            addEvent(exec, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error: 'States.DataLimitExceeded', cause });
            throw taskError('States.DataLimitExceeded', cause);
          }
          addEvent(exec, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
            output: JSON.stringify(result.payload),
            outputDetails: { truncated: false },
          });
          return result.payload;
        case 'function':
          addEvent(exec, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error: result.errorType, cause: result.payload });
          throw taskError(result.errorType, result.payload);
        case 'unknown': {
          const cause = UNKNOWN_CAUSE_PREFIX + result.payload;
          addEvent(exec, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error: 'Lambda.Unknown', cause });
          throw taskError('Lambda.Unknown', cause);
        }
        default: {
          const type = result.started ? 'LambdaFunctionFailed' : 'LambdaFunctionStartFailed';
          const key = result.started ? 'lambdaFunctionFailedEventDetails' : 'lambdaFunctionStartFailedEventDetails';
          addEvent(exec, type, key, { error: 'Lambda.ServiceException', cause: result.message });
          throw taskError('Lambda.ServiceException', result.message);
        }
      }
    };
  }
  return handlers;
}

// The engine stamps $$.Execution.StartTime with `new Date()` while run() is
// running synchronously; pin that clock so it equals the API's startDate.
function withPinnedDate(ms, fn) {
  const RealDate = globalThis.Date;
  class PinnedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
  }
  globalThis.Date = PinnedDate;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

function startExecution(name, inputText, inputValue) {
  const executionArn = `arn:aws:states:${config.region}:${config.account}:execution:${config.name}:${name}`;
  const startDate = Date.now();
  const exec = {
    seq: ++executionSeq,
    executionArn,
    name,
    input: inputText,
    status: 'RUNNING',
    startDate,
    stopDate: undefined,
    output: undefined,
    error: undefined,
    cause: undefined,
    events: [],
    pending: new Set(),
    closed: false,
    currentState: undefined,
    failedState: undefined,
    abort: () => {},
  };
  executions.set(executionArn, exec);
  executionsByName.set(name, exec);
  addEvent(exec, 'ExecutionStarted', 'executionStartedEventDetails', {
    input: inputText,
    inputDetails: { truncated: false },
    roleArn: config.roleArn,
  }, startDate);

  const startTime = new Date(startDate).toISOString();
  const run = withPinnedDate(startDate, () =>
    machine.run(inputValue, {
      overrides: {
        taskResourceLocalHandlers: lambdaHandlers(exec),
        waitTimeOverrides: waitOverrides,
        retryIntervalOverrides: retryOverrides,
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: inputValue,
          StartTime: startTime,
          RoleArn: config.roleArn,
          RedriveCount: 0,
        },
        StateMachine: { Id: config.stateMachineArn, Name: config.name },
      },
    }),
  );
  exec.abort = run.abort;
  run.result.catch(() => {}); // the outcome is read from the event log
  consumeEngineEvents(exec, run.eventLogs);
  return exec;
}

// ---------------------------------------------------------------------------
// API operations.

const epoch = (ms) => (ms === undefined ? undefined : ms / 1000);

function optString(body, key) {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw apiError('SerializationException', `${key} must be a string`);
  return v;
}

function reqString(body, key) {
  const v = optString(body, key);
  if (v === undefined) {
    throw apiError('ValidationException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  }
  return v;
}

function maxResults(body, key = 'maxResults') {
  const v = body[key];
  if (v === undefined || v === null || v === 0) return 100;
  if (!Number.isInteger(v) || v < 0 || v > 1000) {
    throw apiError('ValidationException', `1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  return v;
}

function checkStateMachineArn(arn) {
  if (!/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:]+(:[^:]+)?$/.test(arn)) {
    throw apiError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
  if (arn !== config.stateMachineArn) throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
}

function lookupExecution(arn) {
  if (!/^arn:[^:]+:states:[^:]*:[^:]*:execution:[^:]+:[^:]+$/.test(arn)) {
    throw apiError('InvalidArn', `Invalid Arn: '${arn}'`);
  }
  const exec = executions.get(arn);
  if (!exec) throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return exec;
}

// Characters Step Functions rejects in execution names.
const BAD_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

function encodeToken(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function decodeToken(token, kind) {
  if (token === undefined) return undefined;
  try {
    const obj = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (obj && obj.k === kind && Number.isInteger(obj.n)) return obj;
  } catch {
    // fall through
  }
  throw apiError('InvalidToken', `Invalid Token: '${token}'`);
}

const operations = {
  StartExecution(body) {
    checkStateMachineArn(reqString(body, 'stateMachineArn'));
    let name = optString(body, 'name');
    if (name !== undefined) {
      const length = [...name].length;
      if (length < 1 || length > 80) {
        throw apiError('ValidationException', `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length ${length < 1 ? 'greater than or equal to 1' : 'less than or equal to 80'}`);
      }
      if (BAD_NAME.test(name)) throw apiError('InvalidName', `Invalid Name: '${name}'`);
    } else {
      name = randomUUID();
    }
    const inputText = optString(body, 'input') ?? '{}';
    if (Buffer.byteLength(inputText, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw apiError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
    }
    let inputValue;
    try {
      inputValue = JSON.parse(inputText);
    } catch (err) {
      throw apiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${err.message}'`);
    }
    const existing = executionsByName.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: existing.executionArn, startDate: epoch(existing.startDate) };
      }
      throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const exec = startExecution(name, inputText, inputValue);
    return { executionArn: exec.executionArn, startDate: epoch(exec.startDate) };
  },

  DescribeExecution(body) {
    const exec = lookupExecution(reqString(body, 'executionArn'));
    const out = {
      executionArn: exec.executionArn,
      stateMachineArn: config.stateMachineArn,
      name: exec.name,
      status: exec.status,
      startDate: epoch(exec.startDate),
      input: exec.input,
      inputDetails: { included: true },
    };
    if (exec.stopDate !== undefined) out.stopDate = epoch(exec.stopDate);
    if (exec.status === 'SUCCEEDED' && exec.output !== undefined) {
      out.output = exec.output;
      out.outputDetails = { included: true };
    }
    if (exec.error !== undefined) out.error = exec.error;
    if (exec.cause !== undefined) out.cause = exec.cause;
    return out;
  },

  GetExecutionHistory(body) {
    const exec = lookupExecution(reqString(body, 'executionArn'));
    const reverse = body.reverseOrder === true;
    const limit = maxResults(body);
    const includeData = body.includeExecutionData !== false;
    const token = decodeToken(optString(body, 'nextToken'), reverse ? 'hr' : 'hf');
    const events = exec.events;
    const page = [];
    if (reverse) {
      let i = token ? token.n - 1 : events.length - 1; // token.n: id of the next event to return
      for (; i >= 0 && page.length < limit; i--) page.push(events[i]);
      const nextToken = i >= 0 ? encodeToken({ k: 'hr', n: i + 1 }) : undefined;
      return { events: page.map((e) => renderEvent(e, includeData)), nextToken };
    }
    let i = token ? token.n - 1 : 0;
    for (; i < events.length && page.length < limit; i++) page.push(events[i]);
    const nextToken = i < events.length ? encodeToken({ k: 'hf', n: i + 1 }) : undefined;
    return { events: page.map((e) => renderEvent(e, includeData)), nextToken };
  },

  ListExecutions(body) {
    checkStateMachineArn(reqString(body, 'stateMachineArn'));
    const status = optString(body, 'statusFilter');
    if (status !== undefined && !STATUSES.has(status) && status !== 'PENDING_REDRIVE') {
      throw apiError('ValidationException', `1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]`);
    }
    const limit = maxResults(body);
    const token = decodeToken(optString(body, 'nextToken'), 'le');
    const all = [...executions.values()]
      .filter((e) => (token ? e.seq < token.n : true))
      .filter((e) => status === undefined || e.status === status)
      .sort((a, b) => b.seq - a.seq);
    const page = all.slice(0, limit);
    const nextToken = all.length > limit ? encodeToken({ k: 'le', n: page[page.length - 1].seq }) : undefined;
    return {
      executions: page.map((e) => {
        const item = {
          executionArn: e.executionArn,
          stateMachineArn: config.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: epoch(e.startDate),
        };
        if (e.stopDate !== undefined) item.stopDate = epoch(e.stopDate);
        return item;
      }),
      nextToken,
    };
  },

  StopExecution(body) {
    const exec = lookupExecution(reqString(body, 'executionArn'));
    const error = optString(body, 'error');
    const cause = optString(body, 'cause');
    if (error !== undefined && error.length > 256) {
      throw apiError('ValidationException', `1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256`);
    }
    if (cause !== undefined && cause.length > 32768) {
      throw apiError('ValidationException', `1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768`);
    }
    if (exec.status === 'RUNNING') {
      exec.status = 'ABORTED';
      exec.stopDate = Date.now();
      exec.error = error;
      exec.cause = cause;
      for (const inv of exec.pending) inv.done = true;
      exec.abort(); // the engine emits ExecutionAborted, which closes the history
    }
    return { stopDate: epoch(exec.stopDate) };
  },

  DescribeStateMachine(body) {
    checkStateMachineArn(reqString(body, 'stateMachineArn'));
    return {
      stateMachineArn: config.stateMachineArn,
      name: config.name,
      status: 'ACTIVE',
      definition: config.text,
      roleArn: config.roleArn,
      type: 'STANDARD',
      creationDate: epoch(creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  },

  ListStateMachines() {
    return {
      stateMachines: [
        { stateMachineArn: config.stateMachineArn, name: config.name, type: 'STANDARD', creationDate: epoch(creationDate) },
      ],
    };
  },
};

function renderEvent(e, includeData) {
  const out = { ...e, timestamp: epoch(e.timestamp) };
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith('EventDetails') && value && typeof value === 'object') {
        const { input, inputDetails, output, outputDetails, ...rest } = value;
        out[key] = rest;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// HTTP (AWS JSON 1.0).

function send(res, status, payload, errorType) {
  const body = JSON.stringify(payload);
  const headers = {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res, type, message, status = 400) {
  send(res, status, { __type: type, message }, type);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    sendError(res, 'UnknownOperationException', `Only POST is supported, got ${req.method}`);
    return;
  }
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_REQUEST_BYTES) tooLarge = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooLarge) {
      sendError(res, 'ValidationException', 'Request is too large', 413);
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const handler = Object.hasOwn(operations, op) ? operations[op] : undefined;
    if (!handler) {
      sendError(res, 'UnknownOperationException', `Unknown operation: '${target}'`);
      return;
    }
    let body = {};
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (err) {
        sendError(res, 'SerializationException', `Request body is not valid JSON: ${err.message}`);
        return;
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        sendError(res, 'SerializationException', 'Request body must be a JSON object');
        return;
      }
    }
    try {
      send(res, 200, handler(body));
    } catch (err) {
      if (err instanceof APIError) {
        sendError(res, err.type, err.message);
      } else {
        log({ level: 'error', op, msg: String(err.stack ?? err) });
        sendError(res, 'InternalServerError', String(err.message ?? err), 500);
      }
    }
  });
});

function shutdown(signal) {
  log({ msg: `received ${signal}, shutting down`, executions: executions.size });
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (err) => {
  log({ level: 'error', msg: `cannot listen: ${err.message}` });
  process.exit(2);
});

server.listen(config.port, '127.0.0.1', () => {
  const { port } = server.address();
  const url = `http://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ ready: true, url, stateMachineArn: config.stateMachineArn }) + '\n');
  log({
    msg: 'local Step Functions endpoint ready',
    url,
    stateMachineArn: config.stateMachineArn,
    lambdaTasks: Object.fromEntries([...lambdaTasks].map(([n, t]) => [n, t.url])),
    waitOverrideMs: config.waitOverrideMs,
    retryOverrideMs: config.retryOverrideMs,
  });
});
