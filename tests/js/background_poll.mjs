// A background interaction followed by polling, as the guide teaches: create with
// `background: true` (the answer comes at once, `in_progress`), then GET it every second until its
// status is terminal, and print its output text.
import { MODEL, TERMINAL, isTransient, log, makeClient, run, sleep } from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'Write a short guide on space exploration.';
const POLL_MS = 1000;
const MAX_POLLS = 600;
const MAX_POLL_FAILURES = 5;

await run(async () => {
  const ai = makeClient();
  const created = await ai.interactions.create({ model: MODEL, input: PROMPT, background: true });
  log(`created background interaction ${created.id} (${created.status})`);
  let failures = 0;
  for (let poll = 1; poll <= MAX_POLLS; poll += 1) {
    let interaction;
    try {
      interaction = await ai.interactions.get(created.id);
      failures = 0;
    } catch (error) {
      if (!isTransient(error) || ++failures > MAX_POLL_FAILURES) throw error;
      log(`poll failed, trying again: ${error?.message ?? error}`);
      await sleep(POLL_MS);
      continue;
    }
    log(`status: ${interaction.status}`);
    if (interaction.status === 'completed') return interaction.output_text ?? '';
    if (TERMINAL.has(interaction.status)) throw new Error(`interaction ${created.id} ended ${interaction.status}`);
    if (interaction.status === 'requires_action') {
      throw new Error(`interaction ${created.id} requires action, which this program cannot give`);
    }
    await sleep(POLL_MS);
  }
  throw new Error(`interaction ${created.id} not finished after ${MAX_POLLS} polls`);
});
