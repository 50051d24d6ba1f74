import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { Language } from '../../domain/language';
import type { Role } from '../../domain/staff/roles';
import {
  applyField,
  applyMedia,
  changedFields,
  CLEAR,
  emptyDraft,
  isProductField,
  missingForPublish,
  productMedia,
  type MediaKind,
  type ProductDraft,
  type ProductField,
} from '../../domain/staff/product-draft';
import type { Scenario } from '../../domain/scenario';
import { listProductsForPanel, ProductChangedMeanwhileError, ProductCodeTakenError, productDraftOf, ProductGoneError, ProductUnchangedError, saveProductDraft } from '../../db/product-editing';
import { splitText } from '../../domain/split-text';
import { auditStaffCommand } from '../../db/staff';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import type { BotContext } from '../context';
import { editorView, fieldPrompt, probeKeyboard, PRODUCT_TEXTS, productsPage } from './product-editor-view';
import { probeDraftOnLead } from './product-probe';
import { requireRole, type StaffAccessDeps } from '../staff-access';

export interface ProductEditorDeps extends StaffAccessDeps {
  logger: Logger;
  /** The shipped scenario: its survey names the questions and answers criteria refer to. */
  scenario(language: Language): Scenario;
}

/** The flow name in `staff_dialogs`: the broadcast composer has its own. */
export const PRODUCT_FLOW = 'product_editor';

/** Everything the dialog needs to go on after a restart; kept as JSON in `staff_dialogs`. */
export interface ProductEditorState {
  /** null: a new product. */
  productId: number | null;
  draft: ProductDraft;
  /** The product as published when editing began (null for a new one): a publish over a newer version is refused once. */
  original: ProductDraft | null;
  /** The answer the next message gives. */
  awaiting: ProductField | 'probe' | null;
  /** A new product is asked for its required fields in this order; then the buttons take over. */
  guided: boolean;
}

/** The fields a new product is asked for one after another: what a publish cannot do without. */
const GUIDED: ProductField[] = ['code', 'name', 'description', 'props', 'price', 'currency', 'segments', 'criteria'];

/** The products page of /admin, with the editor's buttons (admins only reach it). */
export async function productsOverview(deps: StaffAccessDeps): Promise<Parameters<BotContext['reply']>> {
  return productsPage(await listProductsForPanel(deps.db));
}

/**
 * The product editor (docs/products-and-matching.md), a guided dialog for admins: create a product or change
 * one field by field, test the draft's matching on a real lead, preview, then publish or cancel.
 * Every step re-checks the role; the state lives in `staff_dialogs`, so a restart loses nothing;
 * a publish is recorded with the product before and after.
 */
export function productEditor(deps: ProductEditorDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const survey = () => deps.scenario('ru').survey;

  const stateOf = async (actor: number): Promise<ProductEditorState | undefined> => {
    const dialog = await dialogOf(deps.db, actor);
    return dialog?.kind === 'flow' && dialog.flow === PRODUCT_FLOW ? (dialog.state as unknown as ProductEditorState) : undefined;
  };
  const save = (actor: number, state: ProductEditorState) => setDialog(deps.db, actor, { kind: 'flow', flow: PRODUCT_FLOW, state: state as unknown as Record<string, unknown> });

  /** Asks for the field the state waits for, or shows the draft with its buttons. */
  async function show(ctx: BotContext, state: ProductEditorState): Promise<void> {
    const step = state.guided && state.awaiting ? { n: GUIDED.indexOf(state.awaiting as ProductField) + 1, of: GUIDED.length } : undefined;
    const [text, extra] = state.awaiting && state.awaiting !== 'probe' ? fieldPrompt(state.awaiting, state.draft, survey(), step) : editorView(state.draft, state.productId);
    // A full draft (long description, 40 criteria) can pass Telegram's 4,096: the buttons go on the last part.
    const parts = splitText(text);
    for (const [i, part] of parts.entries()) await ctx.reply(part, i === parts.length - 1 ? extra : undefined);
  }

  /** After a valid answer: the next required field of a new product, else the draft. */
  async function advance(ctx: BotContext, actor: number, state: ProductEditorState): Promise<void> {
    const next = state.guided ? GUIDED.find((field) => missing(state.draft, field)) : undefined;
    const after: ProductEditorState = { ...state, awaiting: next ?? null, guided: next !== undefined };
    await save(actor, after);
    await show(ctx, after);
  }

  /** A button that needs an open draft: the role now, then the state (or why there is none). */
  async function withDraft(ctx: BotContext, command: string, act: (actor: number, state: ProductEditorState) => Promise<void>, details: Record<string, unknown> = {}): Promise<void> {
    if (!(await requireRole(deps, ctx, 'admin', command, details))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const actor = ctx.from?.id as number;
    const state = await stateOf(actor);
    if (!state) return void (await ctx.reply(PRODUCT_TEXTS.noDraft));
    await act(actor, state);
  }

  privateChats.callbackQuery('pe:new', async (ctx) => {
    if (!(await requireRole(deps, ctx, 'admin', 'product_new'))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const state: ProductEditorState = { productId: null, draft: emptyDraft(), original: null, awaiting: GUIDED[0], guided: true };
    await save(ctx.from.id, state);
    await ctx.reply(PRODUCT_TEXTS.newProduct);
    await show(ctx, state);
  });

  privateChats.callbackQuery(/^pe:open:(\d+)$/, async (ctx) => {
    const productId = Number(ctx.match[1]);
    if (!(await requireRole(deps, ctx, 'admin', 'product_open', { productId }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const draft = await productDraftOf(deps.db, productId);
    if (!draft) return void (await ctx.reply(PRODUCT_TEXTS.unknownProduct));
    const state: ProductEditorState = { productId, draft, original: draft, awaiting: null, guided: false };
    await save(ctx.from.id, state);
    await show(ctx, state);
  });

  privateChats.callbackQuery(/^pe:set:([a-z]+)$/, async (ctx) => {
    const field = ctx.match[1];
    if (!isProductField(field)) return void (await ctx.answerCallbackQuery({ text: PRODUCT_TEXTS.stale }).catch(() => undefined));
    await withDraft(ctx, 'product_field', async (actor, state) => {
      const after = { ...state, awaiting: field, guided: false };
      await save(actor, after);
      await show(ctx, after);
    }, { field });
  });

  privateChats.callbackQuery('pe:menu', (ctx) =>
    withDraft(ctx, 'product_menu', async (actor, state) => {
      const after = { ...state, awaiting: null, guided: false };
      await save(actor, after);
      await show(ctx, after);
    }),
  );

  privateChats.callbackQuery('pe:active', (ctx) =>
    withDraft(ctx, 'product_active', async (actor, state) => {
      const after = { ...state, draft: { ...state.draft, active: !state.draft.active }, awaiting: null, guided: false };
      await save(actor, after);
      await show(ctx, after);
    }),
  );

  privateChats.callbackQuery('pe:probe', (ctx) =>
    withDraft(ctx, 'product_probe', async (actor, state) => {
      await save(actor, { ...state, awaiting: 'probe', guided: false });
      await ctx.reply(PRODUCT_TEXTS.probePrompt, { reply_markup: probeKeyboard() });
    }),
  );

  privateChats.callbackQuery('pe:publish', async (ctx) => {
    const role = await requireRole(deps, ctx, 'admin', 'product_publish');
    if (!role) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await publish(ctx, ctx.from.id, role);
  });

  privateChats.callbackQuery(/^pe:/, (ctx) => ctx.answerCallbackQuery({ text: PRODUCT_TEXTS.stale }).catch(() => undefined));

  /** Publishes the draft once: the dialog is taken first, so a second press finds nothing. */
  async function publish(ctx: BotContext, actor: number, role: Role): Promise<void> {
    const dialog = await takeDialog(deps.db, actor);
    if (dialog?.kind !== 'flow' || dialog.flow !== PRODUCT_FLOW) {
      if (dialog) await setDialog(deps.db, actor, dialog); // another dialog stands: leave it as it was
      return void (await ctx.reply(PRODUCT_TEXTS.noDraft));
    }
    const state = dialog.state as unknown as ProductEditorState;
    const keep = () => save(actor, { ...state, awaiting: null, guided: false });
    const missingFields = missingForPublish(state.draft);
    if (missingFields.length > 0) {
      await keep();
      return void (await ctx.reply(PRODUCT_TEXTS.missing(missingFields), { reply_markup: editorView(state.draft, state.productId)[1].reply_markup }));
    }
    let saved: { productId: number; before: ProductDraft | null };
    try {
      saved = await saveProductDraft(deps.db, state.productId, state.draft, state.original);
    } catch (error) {
      if (error instanceof ProductChangedMeanwhileError) {
        // The draft now builds on the product as it stands: a second press publishes knowingly.
        await save(actor, { ...state, original: error.current, awaiting: null, guided: false });
        return void (await ctx.reply(PRODUCT_TEXTS.changedMeanwhile(error.fields), { reply_markup: editorView(state.draft, state.productId)[1].reply_markup }));
      }
      if (error instanceof ProductUnchangedError) {
        await keep();
        return void (await ctx.reply(PRODUCT_TEXTS.unchanged));
      }
      if (error instanceof ProductGoneError) return void (await ctx.reply(PRODUCT_TEXTS.unknownProduct));
      await keep(); // whatever went wrong, the admin's draft is not lost with it
      if (!(error instanceof ProductCodeTakenError)) throw error;
      return void (await ctx.reply(PRODUCT_TEXTS.codeTaken(error.code)));
    }
    const { productId, before } = saved;
    const changed = changedFields(before, state.draft);
    await auditStaffCommand(deps.db, {
      actor,
      actorRole: role,
      command: 'product_published',
      details: { productId, code: state.draft.code, created: before === null, changed, before, after: state.draft },
      allowed: true,
    });
    deps.logger.info({ productId, code: state.draft.code, changed, editor: actor }, 'product published');
    await ctx.reply(PRODUCT_TEXTS.published(state.draft.name, state.draft.code, state.productId === null));
  }

  // An answer: the next text of an admin standing in the product editor. Commands pass by (/cancel).
  privateChats.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/')) return next();
    const state = await stateOf(ctx.from.id);
    if (!state) return next();
    if (!(await requireRole(deps, ctx, 'admin', 'product_answer', { awaiting: state.awaiting }))) return void (await takeDialog(deps.db, ctx.from.id));
    const text = ctx.message.text;
    if (state.awaiting === null) return void (await ctx.reply(PRODUCT_TEXTS.chooseField, { reply_markup: editorView(state.draft, state.productId)[1].reply_markup }));
    if (state.awaiting === 'probe') {
      const answer = await probeDraftOnLead(deps.db, state.draft, state.productId, text, survey());
      return void (await ctx.reply(answer.text, { reply_markup: probeKeyboard() }));
    }
    if (state.awaiting === 'media') {
      if (text.trim() !== CLEAR) return void (await ctx.reply(PRODUCT_TEXTS.notMedia));
      return advance(ctx, ctx.from.id, { ...state, draft: applyMedia(state.draft, null) });
    }
    const result = applyField(state.draft, state.awaiting, text, survey());
    if (!result.ok) return void (await ctx.reply(`${result.problem}\n${PRODUCT_TEXTS.tryAgain}`));
    await advance(ctx, ctx.from.id, { ...state, draft: result.draft });
  });

  // The media: a photo or a document from an admin who was asked for one; previewed as the lead gets it.
  privateChats.on(['message:photo', 'message:document'], async (ctx, next) => {
    const state = await stateOf(ctx.from.id);
    if (!state) return next();
    if (!(await requireRole(deps, ctx, 'admin', 'product_media'))) return void (await takeDialog(deps.db, ctx.from.id));
    if (state.awaiting !== 'media') return void (await ctx.reply(PRODUCT_TEXTS.chooseField));
    const { photo, document } = ctx.message;
    const media: { kind: MediaKind; fileId: string } = photo ? { kind: 'photo', fileId: photo[photo.length - 1].file_id } : { kind: 'document', fileId: (document as { file_id: string }).file_id };
    const draft = applyMedia(state.draft, media);
    await ctx.reply(PRODUCT_TEXTS.mediaPreview);
    const shown = productMedia(draft.mediaUrl);
    if (shown?.kind === 'photo') await ctx.replyWithPhoto(shown.source, { caption: draft.name });
    else if (shown) await ctx.replyWithDocument(shown.source, { caption: draft.name });
    await advance(ctx, ctx.from.id, { ...state, draft });
  });

  return composer;
}

/** Whether a guided field still has no answer. */
function missing(draft: ProductDraft, field: ProductField): boolean {
  switch (field) {
    case 'price':
      return !(draft.price > 0);
    case 'props':
      return draft.valuePropositions.length === 0;
    case 'segments':
      return draft.targetSegments.length === 0;
    case 'criteria':
      return draft.criteria.length === 0;
    case 'code':
    case 'name':
    case 'description':
    case 'currency':
      return draft[field] === '';
    default:
      return false;
  }
}
