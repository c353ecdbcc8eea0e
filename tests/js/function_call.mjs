// Function calling over streamed background interactions, as the guide teaches.
//
// The model calls `get_weather`; the interaction stops with status `requires_action`. The program
// runs the function and answers with a NEW interaction chained to the first one:
// `create({ previous_interaction_id, input: [{ type: 'function_result', call_id, name, result }] })`,
// and reads that one to its end. Each stream is read with the reconnecting loop of common.mjs.
import { MODEL, expectCompleted, functionCalls, log, makeClient, run, streamToEnd } from './common.mjs';

const PROMPT = process.env.INTERACTIONS_PROMPT || 'What is the weather in Paris right now?';
const MAX_TURNS = 5;

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

/** The local implementation of the declared function. */
function getWeather({ location }) {
  return `The weather in ${location} is sunny, 21 C.`;
}

await run(async () => {
  const ai = makeClient();
  let state = await streamToEnd(
    ai,
    ai.interactions.create({ model: MODEL, input: PROMPT, tools: TOOLS, background: true, stream: true }),
  );
  for (let turn = 1; state.status === 'requires_action'; turn += 1) {
    if (turn > MAX_TURNS) throw new Error(`still requires_action after ${MAX_TURNS} function results`);
    const calls = functionCalls(state);
    if (calls.length === 0) throw new Error(`interaction ${state.interactionId} requires action but called no function`);
    const results = calls.map((call) => {
      if (call.name !== 'get_weather') throw new Error(`the model called an unknown function ${call.name}`);
      log(`calling ${call.name}(${JSON.stringify(call.arguments)})`);
      return { type: 'function_result', call_id: call.id, name: call.name, result: getWeather(call.arguments) };
    });
    state = await streamToEnd(
      ai,
      ai.interactions.create({
        model: MODEL,
        previous_interaction_id: state.interactionId,
        input: results,
        tools: TOOLS,
        background: true,
        stream: true,
      }),
    );
  }
  expectCompleted(state);
  return state.text;
});
