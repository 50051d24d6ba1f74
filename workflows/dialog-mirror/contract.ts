/**
 * The live dialogs' mirror (docs/manager-handoff.md#live-dialogs): one workflow for the whole system,
 * started by the worker when DIALOGS_CHAT_ID is set. Its fixed id keeps it single: two workers never
 * post the same batch, and it survives restarts without a lease of its own.
 */
export const DIALOG_MIRROR_WORKFLOW_ID = 'dialog-mirror';
export const dialogMirrorWorkflowType = 'dialogMirrorWorkflow';
