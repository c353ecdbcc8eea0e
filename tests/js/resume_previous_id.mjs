// PLANTED BUG: resumes one event too early.
//
// The same program as stream_resume.mjs (its loop is streamToEnd in common.mjs), except that after a
// drop it reconnects with the id of the event BEFORE the last one it received (an off-by-one kept
// from a "safer to read one again" idea). The server then sends the last event received once more,
// and the program, which does not expect a repeat, counts it twice: a text delta appears twice in
// the output. It still exits 0.
import {
  MODEL, absorb, expectCompleted, follow, log, makeClient, newState, noteEarlyEnd, run, sleep,
} from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'Explain how a background interaction survives a dropped stream.';

await run(async () => {
  const ai = makeClient();
  const state = newState();
  let previousEventId; // the event id before state.lastEventId
  let opening = ai.interactions.create({ model: MODEL, input: PROMPT, background: true, stream: true });
  let failures = 0;
  for (;;) {
    let progressed = false;
    const outcome = await follow(opening, (event) => {
      if (event.event_id) {
        previousEventId = state.lastEventId;
        state.lastEventId = event.event_id;
      }
      progressed = true;
      return absorb(state, event);
    });
    if (outcome.done) break;
    noteEarlyEnd(outcome);
    if (!state.interactionId) throw new Error('the stream dropped before interaction.created: nothing to resume');
    failures = progressed ? 1 : failures + 1;
    if (failures > 5) throw new Error('gave up after 5 reconnects without progress');
    await sleep(200 * 2 ** (failures - 1));
    const from = previousEventId; // BUG: should be state.lastEventId
    log(`reconnecting to ${state.interactionId} after ${from}`);
    opening = ai.interactions.get(state.interactionId, { stream: true, last_event_id: from });
  }
  expectCompleted(state);
  return state.text;
});
