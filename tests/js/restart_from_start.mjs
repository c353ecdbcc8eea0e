// PLANTED BUG: reconnects from the beginning.
//
// The same program as stream_resume.mjs (its loop is streamToEnd in common.mjs), except that after a
// drop it opens the stream again WITHOUT `last_event_id`. The server replays the whole stream from
// `interaction.created`, and the program appends the replayed deltas to what it already had: the
// start of the output appears twice. It still exits 0.
import {
  MODEL, absorb, expectCompleted, follow, log, makeClient, newState, noteEarlyEnd, run, sleep,
} from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'Explain how a background interaction survives a dropped stream.';

await run(async () => {
  const ai = makeClient();
  const state = newState();
  let opening = ai.interactions.create({ model: MODEL, input: PROMPT, background: true, stream: true });
  let failures = 0;
  for (;;) {
    let progressed = false;
    const outcome = await follow(opening, (event) => {
      if (event.event_id) state.lastEventId = event.event_id;
      progressed = true;
      return absorb(state, event);
    });
    if (outcome.done) break;
    noteEarlyEnd(outcome);
    if (!state.interactionId) throw new Error('the stream dropped before interaction.created: nothing to resume');
    failures = progressed ? 1 : failures + 1;
    if (failures > 5) throw new Error('gave up after 5 reconnects without progress');
    await sleep(200 * 2 ** (failures - 1));
    log(`reconnecting to ${state.interactionId}`);
    opening = ai.interactions.get(state.interactionId, { stream: true }); // BUG: no last_event_id
  }
  expectCompleted(state);
  return state.text;
});
