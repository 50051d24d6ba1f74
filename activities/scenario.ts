import type { Scenario } from '../domain/scenario';
import { defaultScenarioPath, loadScenarioFile } from '../scenarios/loader';

/**
 * Loads the scenario a conversation pins. Files are checked at start-up, so a failure here
 * means the file changed on disk since; the retry picks up the fixed file.
 */
export function createScenarioActivities(options: { scenarioPath?: (language: 'ru' | 'en') => string } = {}) {
  const pathFor = options.scenarioPath ?? defaultScenarioPath;
  return {
    async loadScenario(language: 'ru' | 'en'): Promise<Scenario> {
      return loadScenarioFile(pathFor(language));
    },
  };
}

export type ScenarioActivities = ReturnType<typeof createScenarioActivities>;
