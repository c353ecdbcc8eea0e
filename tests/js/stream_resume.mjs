// A streamed background interaction, read to the end across dropped connections.
//
// As the guide teaches: create with `background: true, stream: true` (a background interaction keeps
// running when the connection drops, and its stream can be opened again), remember the id of the
// last event received, and after a drop open the stream again with
// `interactions.get(id, { stream: true, last_event_id })`: it continues with the next event.
// The loop itself is `streamToEnd` in common.mjs.
import { MODEL, expectCompleted, makeClient, run, streamToEnd } from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'Explain how a background interaction survives a dropped stream.';

await run(async () => {
  const ai = makeClient();
  const state = await streamToEnd(
    ai,
    ai.interactions.create({ model: MODEL, input: PROMPT, background: true, stream: true }),
  );
  expectCompleted(state);
  return state.text;
});
