// What every client program here shares: the client pointed at the server under test, a sleep,
// the way errors are sorted into "reconnect" and "give up", and the way a program ends.
//
// The server's base URL comes from INTERACTIONS_BASE_URL (else GEMINI_BASE_URL); the API key from
// GEMINI_API_KEY, else "test-key"; the model from INTERACTIONS_MODEL, else gemini-3.5-flash; each
// program's prompt from INTERACTIONS_PROMPT, else its own. A program prints diagnostics on stderr
// and only the final output text on stdout, so that the text is the last line there; it exits 0 on
// success, 1 on an error it cannot recover from, 2 when it is not configured.
import { GoogleGenAI } from '@google/genai';

export const MODEL = process.env.INTERACTIONS_MODEL || 'gemini-3.5-flash';
export const API_VERSION = 'v1beta';

/** Statuses after which an interaction never changes again (PROTOCOL.md section 3). */
export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'incomplete', 'budget_exceeded']);

export function baseUrl() {
  const url = process.env.INTERACTIONS_BASE_URL || process.env.GEMINI_BASE_URL;
  if (!url) {
    log('set INTERACTIONS_BASE_URL (or GEMINI_BASE_URL) to the server to talk to');
    process.exit(2);
  }
  return url.replace(/\/+$/, '');
}

export function makeClient() {
  return new GoogleGenAI({
    apiKey: process.env.GEMINI_API_KEY || 'test-key',
    httpOptions: { baseUrl: baseUrl(), apiVersion: API_VERSION },
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(...parts) {
  console.error('[client]', ...parts);
}

/** The HTTP status of an API error, or undefined for a transport error (a dropped connection). */
export function httpStatus(error) {
  const status = error?.status ?? error?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Whether reconnecting may help: a transport error (undici's `TypeError: terminated`, a reset, a
 * refused connection) or an answer the SDK itself would retry (408, 409, 429, 5xx) that is still
 * failing after its own retries. Any other HTTP error (400 for an unknown `last_event_id`, 404 for
 * a deleted interaction, ...) will not change by asking again.
 */
export function isTransient(error) {
  const status = httpStatus(error);
  return status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Run `body`; print its text as the last line of stdout and exit 0, or report the error and exit 1. */
export async function run(body) {
  try {
    const text = await body();
    process.stdout.write(`${text}\n`);
    process.exitCode = 0;
  } catch (error) {
    const status = httpStatus(error);
    log(`failed${status ? ` (HTTP ${status})` : ''}: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}

/**
 * Consume one stream event into `state`: the interaction id, the output text (every `text` delta
 * appended as it comes, as the guide prints them), the function calls, and the final status once
 * the stream reports one. Returns true when the event ends the interaction's stream
 * (`interaction.completed`, or a status update to a terminal status).
 */
export function absorb(state, event) {
  switch (event.event_type) {
    case 'interaction.created':
      state.interactionId = event.interaction.id;
      break;
    case 'interaction.status_update':
      if (TERMINAL.has(event.status)) {
        state.status = event.status;
        return true;
      }
      break;
    case 'step.start':
      if (event.step.type === 'function_call') {
        const { id, name } = event.step;
        state.calls[event.index] = { id, name, arguments: event.step.arguments ?? {}, argumentsJson: '' };
      }
      break;
    case 'step.delta':
      if (event.delta.type === 'text') state.text += event.delta.text;
      else if (event.delta.type === 'arguments_delta' && state.calls[event.index]) {
        state.calls[event.index].argumentsJson += event.delta.arguments;
      }
      break;
    case 'step.stop':
      break;
    case 'interaction.completed':
      state.status = event.interaction.status;
      return true;
    case 'error':
      state.error = event.error;
      log(`error event: ${JSON.stringify(event.error)}`);
      break;
    default:
      // New event types may appear at any time: log and skip (PROTOCOL.md section 4).
      log(`skipping unknown event ${event.event_type}`);
  }
  return false;
}

export function newState() {
  return { interactionId: undefined, lastEventId: undefined, status: undefined, error: undefined, text: '', calls: [] };
}

/** The function calls the stream announced, their streamed arguments parsed. */
export function functionCalls(state) {
  return state.calls
    .filter(Boolean)
    .map((call) => ({
      id: call.id,
      name: call.name,
      arguments: call.argumentsJson ? JSON.parse(call.argumentsJson) : call.arguments,
    }));
}

/**
 * Read one stream, handing each event to `onEvent` until it returns true. Answers `{ done: true }`
 * then, `{ ended: true }` when the stream ends first, or `{ dropped: error }` when opening or reading
 * it fails. Only the transport's errors are caught: an error thrown by `onEvent` propagates.
 */
export async function follow(opening, onEvent) {
  let iterator;
  try {
    iterator = (await opening)[Symbol.asyncIterator]();
  } catch (error) {
    return { dropped: error };
  }
  for (;;) {
    let next;
    try {
      next = await iterator.next();
    } catch (error) {
      return { dropped: error };
    }
    if (next.done) return { ended: true };
    if (onEvent(next.value)) {
      try {
        await iterator.return?.();
      } catch {
        // closing a stream we are done with may fail on a broken connection: nothing is lost
      }
      return { done: true };
    }
  }
}

/** Log why a stream stopped early; throw if reconnecting cannot help (an HTTP error such as 404). */
export function noteEarlyEnd(outcome) {
  if (outcome.ended) {
    log('the stream ended before the interaction did');
    return;
  }
  if (!isTransient(outcome.dropped)) throw outcome.dropped;
  const error = outcome.dropped;
  log(`connection dropped: ${error?.cause?.message ?? error?.message ?? error}`);
}

/**
 * Read an interaction's stream to its end, reconnecting after a drop: the guide's loop. `open` is
 * the first stream (the promise a streamed create returns). After a transport error, or a stream
 * that ends before `interaction.completed` or a terminal status, it asks for the stream again with
 * `interactions.get(id, { stream: true, last_event_id })`, which continues after the last event
 * received. At most `maxReconnects` reconnects in a row without a new event, waiting `backoffMs`
 * first (200 ms, or $INTERACTIONS_BACKOFF_MS) and twice as long each time after.
 */
export async function streamToEnd(ai, open, { maxReconnects = 5, backoffMs = Number(process.env.INTERACTIONS_BACKOFF_MS ?? 200) } = {}) {
  const state = newState();
  let opening = open;
  let failures = 0;
  for (;;) {
    let progressed = false;
    const outcome = await follow(opening, (event) => {
      if (event.event_id) state.lastEventId = event.event_id;
      progressed = true;
      return absorb(state, event);
    });
    if (outcome.done) return state;
    noteEarlyEnd(outcome);
    if (!state.interactionId) throw new Error('the stream dropped before interaction.created: nothing to resume');
    failures = progressed ? 1 : failures + 1;
    if (failures > maxReconnects) throw new Error(`gave up after ${maxReconnects} reconnects without progress`);
    await sleep(backoffMs * 2 ** (failures - 1));
    log(`reconnecting to ${state.interactionId} after ${state.lastEventId}`);
    opening = ai.interactions.get(state.interactionId, { stream: true, last_event_id: state.lastEventId });
  }
}

/** Throw unless the stream ended `completed`. */
export function expectCompleted(state) {
  if (state.status !== 'completed') {
    const detail = state.error ? `: ${JSON.stringify(state.error)}` : '';
    throw new Error(`interaction ${state.interactionId} ended ${state.status}${detail}`);
  }
}
