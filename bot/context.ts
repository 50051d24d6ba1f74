import type { Context } from 'grammy';

/** The context every bot feature sees. Features add nothing to it yet; the type is the seam for that. */
export type BotContext = Context;
