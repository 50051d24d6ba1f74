import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** Relays per run a handoff is given in the bundle with this interceptor: small, so a short dialog continues as new. */
export const HANDOFF_RELAYS_PER_RUN = 2;

/**
 * Workflow code, bundled only for the test that needs it: every handoff starts with
 * `maxRelaysPerRun` set (its conversation has no way to pass it), as a dialog of weeks would reach
 * Temporal's continue-as-new suggestion. A continued run keeps the input it was given.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (workflowInfo().workflowType !== 'managerHandoffWorkflow') return next(input);
        const [first, ...rest] = input.args as [Record<string, unknown>, ...unknown[]];
        return next({ ...input, args: [{ maxRelaysPerRun: HANDOFF_RELAYS_PER_RUN, ...first }, ...rest] });
      },
    },
  ],
});
