export { demoUserHeaders } from './devHeaders.ts';
export { createPlayground, PLAYGROUND_CSP, type PlaygroundOptions } from './playground.ts';
