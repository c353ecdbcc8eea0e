// PLANTED BUG: takes `requires_action` for the end.
//
// The same function-calling flow as function_call.mjs, except that it stops as soon as the stream
// says `interaction.completed`, whatever its status: the model's `get_weather` call is never
// answered, the interaction is left waiting in `requires_action`, and the program prints the (empty)
// text it has and exits 0.
import { MODEL, log, makeClient, run, streamToEnd } from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'What is the weather in Paris right now?';

const TOOLS = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Gets the weather for a given location.',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string', description: 'The city, e.g. Paris' } },
      required: ['location'],
    },
  },
];

await run(async () => {
  const ai = makeClient();
  const state = await streamToEnd(
    ai,
    ai.interactions.create({ model: MODEL, input: PROMPT, tools: TOOLS, background: true, stream: true }),
  );
  // BUG: `interaction.completed` also reports `requires_action`; the function result is never sent.
  log(`interaction ${state.interactionId} done (${state.status})`);
  return state.text;
});
