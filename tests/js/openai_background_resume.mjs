// A background OpenAI response streamed to its end across dropped connections, with the `openai`
// package, as OpenAI's background-mode guide teaches: create with `background: true, stream: true`
// (the response keeps running when the connection drops), remember the `sequence_number` of the
// last event received, and after a drop stream it again with
// `responses.retrieve(id, { stream: true, starting_after })`: it continues with the next event.
// grades/run.py sweeps it over every cut of its recorded stream.
import OpenAI from 'openai';
import { baseUrl, isTransient, log, run, sleep } from './common.mjs';

const MODEL = process.env.INTERACTIONS_MODEL || 'gpt-4o';
const PROMPT = process.env.INTERACTIONS_PROMPT || 'Why do background responses stream their progress?';
const ENDINGS = new Set(['response.completed', 'response.failed', 'response.incomplete']);
const MAX_RECONNECTS = 5;
const BACKOFF_MS = Number(process.env.INTERACTIONS_BACKOFF_MS ?? 200);

await run(async () => {
  const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'test-key', baseURL: `${baseUrl()}/v1` });
  const state = { id: undefined, last: undefined, text: '', status: undefined };
  let opening = client.responses.create({ model: MODEL, input: PROMPT, background: true, stream: true });
  for (let failures = 0; ; ) {
    let progressed = false;
    try {
      for await (const event of await opening) {
        progressed = true;
        state.last = event.sequence_number;
        if (event.type === 'response.created') state.id = event.response.id;
        else if (event.type === 'response.output_text.delta') state.text += event.delta;
        if (ENDINGS.has(event.type)) {
          state.status = event.response.status;
          break;
        }
      }
      if (state.status !== undefined) break;
      log('the stream ended before the response did');
    } catch (error) {
      if (!isTransient(error)) throw error;
      log(`connection dropped: ${error?.cause?.message ?? error?.message ?? error}`);
    }
    if (state.id === undefined) throw new Error('the stream dropped before response.created: nothing to resume');
    failures = progressed ? 1 : failures + 1;
    if (failures > MAX_RECONNECTS) throw new Error(`gave up after ${MAX_RECONNECTS} reconnects without progress`);
    await sleep(BACKOFF_MS * 2 ** (failures - 1));
    log(`reconnecting to ${state.id} after ${state.last}`);
    opening = client.responses.retrieve(state.id, { stream: true, starting_after: state.last });
  }
  if (state.status !== 'completed') throw new Error(`response ${state.id} ended ${state.status}`);
  return state.text;
});
