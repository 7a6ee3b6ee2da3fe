// The engines Gatehouse ships, keyed by the instance row's `engine`. Adding an engine is one folder under
// src/engines/ exporting an EngineDefinition, and one line here.
import type { EngineDefinition } from './common/engine.js';
import { postgresEngine } from './postgres/index.js';

export const BUILTIN_ENGINES: readonly EngineDefinition[] = [postgresEngine];
