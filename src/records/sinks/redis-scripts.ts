import { loadLuaScripts } from '../../redis/lua-scripts.ts';

/** The records sinks' Lua scripts, `lua/<name>-<keys>.lua` (loaded by the shared loader). */
export const scripts = loadLuaScripts(new URL('./lua/', import.meta.url), {
  add: ['add', 2],
  claim: ['claim', 2],
  retry: ['retry', 2],
  bury: ['bury', 3],
  replay: ['replay', 3],
  streamAdd: ['stream-add', 2],
});
