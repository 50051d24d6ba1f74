import { ConfigError, loadConfig } from '../../config';

/** The one-line problems `loadConfig` names for an environment (none when it loads). */
export function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
