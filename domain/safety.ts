/**
 * The safety pass over every model reply (docs/llm-policy.md): promises of profit, "risk-free",
 * "100% result" and fake urgency are rewritten to honest phrasing; dangerous advice (sell your flat,
 * take a loan, invest all savings) blocks the reply; hype is flagged; a risk disclaimer is added when
 * the reply talks about income. Russian and English phrasings are both caught whatever the lead's
 * language, case- and ё-insensitively, in any word form the stems cover.
 *
 * Pure: no I/O, no clock, no randomness, no Node built-ins, because workflow code imports it.
 */

/** One phrase changed: the rule, the words the model wrote, and what the lead gets instead. */
export interface SafetyRewrite {
  rule: string;
  from: string;
  to: string;
}

export interface SafetyResult {
  /** The text to send; when `blocked`, the model's text exactly as given, which must not go out. */
  text: string;
  blocked: boolean;
  /** Why the text is blocked: `sell_property`, `take_loan`, `invest_all_savings`. */
  blockReasons: string[];
  /** Every change made to the text, in the order it was made. */
  rewrites: SafetyRewrite[];
  /** Hype found and left as it is: `hype:to_the_moon`, `hype:multiplier`, `hype:rocket`, `hype:get_rich_quick`, `hype:easy_money`. */
  flags: string[];
  disclaimerAdded: boolean;
}

type Language = 'ru' | 'en';

/** Appended, after a blank line, to a reply that talks about investment income. */
export const RISK_DISCLAIMER: Record<Language, string> = {
  ru: 'Инвестиции связаны с риском: доход не гарантирован.',
  en: 'Investing involves risk: income is not guaranteed.',
};

/** Checks a reply and returns the text to send, or the reasons it must not be sent. */
export function checkSafety(text: string, language: Language): SafetyResult {
  const flags = HYPE.flatMap((rule) => (findAll(text, rule.patterns).length > 0 ? [`hype:${rule.id}`] : []));
  const blockReasons = DANGEROUS.flatMap((rule) => (findAll(text, rule.patterns).length > 0 ? [rule.id] : []));
  if (blockReasons.length > 0) {
    // No honest rewording of "take a loan" exists: the text stays as the model wrote it, for a manager to see.
    return { text, blocked: true, blockReasons, rewrites: [], flags, disclaimerAdded: false };
  }
  let result = text;
  const rewrites: SafetyRewrite[] = [];
  for (const rule of REWRITES) {
    const matches = findAll(result, rule.patterns);
    // Replaced from the end so earlier positions stay valid; recorded in reading order.
    const replaced = matches.map((match) => ({ match, to: replacementFor(match, rule.to[match.pattern.language], startsSentence(result, match.index)) }));
    for (const { match, to } of [...replaced].reverse()) {
      result = result.slice(0, match.index) + to + result.slice(match.index + match.text.length);
    }
    rewrites.push(...replaced.map(({ match, to }) => ({ rule: rule.id, from: match.text, to })));
  }
  const disclaimerAdded = INCOME.test(fold(result)) && !hasDisclaimer(result);
  if (disclaimerAdded) result = `${result.trimEnd()}\n\n${RISK_DISCLAIMER[language]}`;
  return { text: result, blocked: false, blockReasons: [], rewrites, flags, disclaimerAdded };
}

interface Pattern {
  language: Language;
  regex: RegExp;
  /**
   * For an adjective before its noun, captured as `noun` (and an English `article`): the noun moves
   * first, so «безрисковая стратегия» reads «стратегия с контролем риска», not «с контролем риска стратегия».
   */
  nounFirst?: boolean;
}

interface Rule {
  id: string;
  patterns: Pattern[];
}

interface RewriteRule extends Rule {
  /** The replacement in the language of the phrase it replaces, so it reads with the words around it. */
  to: Record<Language, string>;
}

interface Match {
  index: number;
  /** The words as the model wrote them (with ё, in its case). */
  text: string;
  pattern: Pattern;
  groups: Record<string, string | undefined>;
}

/**
 * A phrase that starts a word. Sources are written lower-case with «е» for «ё» (`fold` turns ё
 * into е before matching); `\p{L}*` after a stem takes any ending.
 */
function phrase(language: Language, source: string, options: { nounFirst?: boolean } = {}): Pattern {
  return { language, regex: new RegExp(`(?<![\\p{L}\\p{N}_])(?:${source})`, 'giu'), ...options };
}

const ru = (source: string, options?: { nounFirst?: boolean }) => phrase('ru', source, options);
const en = (source: string, options?: { nounFirst?: boolean }) => phrase('en', source, options);

/** "Not a word or digit follows": the end of a phrase that must not run into a longer word. */
const END = '(?![\\p{L}\\p{N}])';

/** «100%», «100%-ный», «100-процентный», «стопроцентный»; "100%", "100 percent", "one hundred percent". */
const HUNDRED_PERCENT_RU = '(?:100\\s*(?:%|-?\\s*процент\\p{L}*)(?:\\s*-\\s*\\p{L}+)?|стопроцентн\\p{L}*)';
const HUNDRED_PERCENT_EN = '(?:100\\s*(?:%|percent)|one\\s+hundred\\s+percent)';

const REWRITES: RewriteRule[] = [
  {
    id: 'guaranteed_profit',
    to: { ru: 'возможный доход (не гарантирован)', en: 'possible income (not guaranteed)' },
    patterns: [
      // «гарантированный доход», «гарантируем вам прибыль 30%», «с гарантией дохода», «100% гарантированный заработок»
      ru(`(?:(?:мы|я)\\s+|100\\s*%\\s+)?гаранти\\p{L}*\\s+(?:вам\\s+|тебе\\s+|ваш\\p{L}*\\s+)?(?:[\\d.,]+\\s*%\\s+)?(?:доход(?!чив)|прибыл|заработ|окупаемост)\\p{L}*`),
      // «100% прибыль»: certainty or a doubled deposit, a promise either way
      ru(`${HUNDRED_PERCENT_RU}\\s+(?:доход(?!чив)|прибыл|заработ)\\p{L}*`),
      // «доход гарантирован», «доходность 30% гарантирована» («доход не гарантирован» is honest and stays)
      ru(`(?:доход(?!чив)|прибыл|заработ)\\p{L}*\\s+(?:[\\d.,]+\\s*%\\s+)?(?:[-—–]\\s*)?гарантир\\p{L}*`),
      en(`(?:(?:we|i)\\s+|100\\s*%\\s+)?guarantee\\p{L}*\\s+(?:you\\s+|your\\s+|an?\\s+)?(?:[\\d.,]+\\s*%\\s+)?(?:profits?|returns?|income|earnings|gains)${END}`),
      en(`(?:profits?|returns|income|earnings|gains)\\s+(?:is\\s+|are\\s+)?(?:100\\s*%\\s+)?guaranteed`),
      en(`${HUNDRED_PERCENT_EN}\\s+(?:profits?|returns?|income|earnings|gains)${END}`),
    ],
  },
  {
    id: 'guaranteed_result',
    to: { ru: 'результат зависит от рынка и ваших решений', en: 'results depend on the market and your decisions' },
    patterns: [
      // «мы гарантируем 100% результат», «гарантированный успех», «100%-ный результат», «стопроцентный результат гарантирован»
      ru(`(?:(?:мы|я)\\s+)?гаранти\\p{L}*\\s+(?:вам\\s+|тебе\\s+)?(?:${HUNDRED_PERCENT_RU}\\s+)?(?:результат|успех)\\p{L}*`),
      ru(`${HUNDRED_PERCENT_RU}\\s+(?:гарантированн\\p{L}*\\s+)?(?:результат|успех)\\p{L}*(?:\\s+гарантирован\\p{L}*)?`),
      ru(`(?:результат|успех)\\p{L}*\\s+(?:(?:на\\s+)?100\\s*%|гарантирован\\p{L}*)`),
      en(`(?:(?:we|i)\\s+)?guarantee\\p{L}*\\s+(?:you\\s+)?(?:${HUNDRED_PERCENT_EN}\\s+)?(?:results?|success)(?:\\s+(?:is\\s+|are\\s+)?guaranteed)?${END}`),
      en(`${HUNDRED_PERCENT_EN}\\s+(?:guaranteed\\s+)?(?:results?|success)(?:\\s+(?:is\\s+|are\\s+)?guaranteed)?${END}`),
      en(`(?:results?|success)\\s+(?:is\\s+|are\\s+)?(?:100\\s*%\\s+)?guaranteed`),
    ],
  },
  {
    id: 'risk_free',
    to: { ru: 'с контролем риска', en: 'with managed risk' },
    patterns: [
      // «без риска», «без всякого риска», «безрисковая», «нулевой риск», «никакого риска» (not «без риск-менеджмента»)
      ru(`без\\s+(?:всякого\\s+|любого\\s+|какого-?либо\\s+|каких-?либо\\s+)?риск(?:а|ов)(?![\\p{L}-])`),
      ru(`безрисков(?:ый|ая|ое|ые|ого|ой|ую|ых|ым|ыми|ому|ом)\\s+(?!(?:и|или|а|но|да)${END})(?<noun>\\p{L}+)`, { nounFirst: true }),
      ru(`безрисков\\p{L}*`),
      ru(`(?:с\\s+)?нулев\\p{L}*\\s+риск\\p{L}*`),
      ru(`(?:нет\\s+)?никакого\\s+риска${END}`),
      en(`(?:(?<article>an?)\\s+)?risk[\\s-]?free\\s+(?!(?:and|or|but|to|for|in|with|of)${END})(?<noun>\\p{L}+)`, { nounFirst: true }),
      en(`risk[\\s-]?free${END}`),
      en(`(?:with\\s+)?(?:no|zero)[\\s-]risks?(?![\\p{L}-])`),
      en(`without\\s+(?:any\\s+)?risks?(?![\\p{L}-])(?!\\s+(?:management|control))`),
    ],
  },
  {
    id: 'fake_urgency',
    to: { ru: 'когда будете готовы', en: 'whenever you are ready' },
    patterns: [
      ru(`только\\s+сегодня${END}`),
      // «это ваш последний шанс» as a whole, so «Это ваш последний шанс записаться» reads «Когда будете готовы записаться»
      ru(`(?:(?:это\\s+)?(?:ваш|твой)\\s+)?последн\\p{L}*\\s+(?:шанс|возможност)\\p{L}*`),
      ru(`(?:успейте|успей|спешите|поспешите|торопитесь|поторопитесь)${END}`),
      en(`(?:only\\s+(?:for\\s+)?today|today\\s+only)${END}`),
      en(`(?:(?:this\\s+is\\s+)?(?:your|the|a)\\s+)?(?:last|final)\\s+(?:chance|opportunity)${END}`),
      en(`(?<!in\\s+a\\s+)hurry(?:\\s+up)?${END}`),
      en(`act\\s+now${END}`),
    ],
  },
];

const DANGEROUS: Rule[] = [
  {
    id: 'sell_property',
    patterns: [
      ru(`прода(?:йте|й|ть|дите|ди|вайте|вай)\\s+(?:сво\\p{L}*\\s+|ваш\\p{L}*\\s+|тво\\p{L}*\\s+)?(?:(?:квартир|машин|автомобил|недвижимост|дач|жиль)\\p{L}*|дом(?:а|ом)?${END})`),
      en(`sell(?:ing)?\\s+(?:off\\s+)?(?:your\\s+|the\\s+|a\\s+|my\\s+)?(?:flat|apartment|house|home|car|property)${END}`),
    ],
  },
  {
    id: 'take_loan',
    patterns: [
      // «возьмите кредит», «взять займ», «оформите микрозайм», «возьмите в долг», «займите денег»
      ru(`(?:возьм\\p{L}*|взять|берите|бери|брать|оформ\\p{L}*)\\s+(?:в\\s+)?(?:кредит|займ|заем|микрозайм|ипотек|долг)\\p{L}*`),
      ru(`(?:займите|занять|одолжите)\\s+(?:денег|деньги)`),
      en(`(?:take|taking|get|getting)\\s+(?:out\\s+)?(?:a\\s+|an\\s+)?(?:loan|credit|mortgage|microloan)`),
      en(`borrow(?:ing)?\\s+(?:some\\s+)?money`),
    ],
  },
  {
    id: 'invest_all_savings',
    patterns: [
      // «вложите все сбережения», «вкладывайте все свои накопления», «инвестируйте весь капитал»
      ru(`(?:влож\\p{L}*|вкладыва\\p{L}*|инвестир\\p{L}*|инвестиру\\p{L}*)\\s+(?:все|всю|весь)\\s+(?:ваш\\p{L}*\\s+|сво\\p{L}*\\s+)?(?:сбережени|накоплени|деньг|капитал|зарплат|подушк)\\p{L}*`),
      en(`(?:invest\\p{L}*|put\\p{L}*)\\s+(?:in\\s+)?(?:all\\s+(?:of\\s+)?(?:your\\s+|my\\s+|the\\s+)?|(?:your\\s+|my\\s+)?(?:entire|whole)\\s+)(?:savings|money|capital|funds)${END}`),
    ],
  },
];

const HYPE: Rule[] = [
  { id: 'to_the_moon', patterns: [en(`to\\s+the\\s+moon${END}`), ru(`на\\s+луну${END}`), ru(`туземун\\p{L}*`)] },
  {
    id: 'multiplier',
    // x100, х10 (Cyrillic х too), 100x; «иксы»
    patterns: [en(`[xх]\\s?\\d{2,}${END}`), en(`\\d{2,}\\s?[xх]${END}`), ru(`икс(?:ы|ов|ами|ах)${END}`)],
  },
  { id: 'rocket', patterns: [ru(`ракет\\p{L}*`), en(`rocket\\p{L}*`), { language: 'en', regex: /🚀/gu }] },
  { id: 'get_rich_quick', patterns: [en(`get\\s+rich\\s+(?:quick|fast)\\p{L}*`), ru(`быстр\\p{L}*\\s+(?:разбогат|обогащ)\\p{L}*`), ru(`разбогате\\p{L}*\\s+быстро`)] },
  { id: 'easy_money', patterns: [en(`(?:easy|fast|quick)\\s+money`), ru(`(?:легк|быстр)\\p{L}*\\s+(?:деньг|заработ)\\p{L}*`)] },
];

/** Talk of investment income: stems at the start of a word («доходчиво» is not income). */
const INCOME = /(?<![\p{L}\p{N}_])(?:доход(?!чив)|прибыл|заработ|зарабат|income|profit|returns|earn)/iu;

/** A disclaimer of our own, or the model's own words to that effect. */
const DISCLAIMER_LIKE = /связан\p{L}*\s+с\s+риск|involv\p{L}*\s+risk|доход\p{L}*\s+не\s+гарантирован|(?:income|returns|profits?)\s+(?:is\s+|are\s+)?not\s+guaranteed/iu;

function hasDisclaimer(text: string): boolean {
  const folded = squash(fold(text));
  return Object.values(RISK_DISCLAIMER).some((disclaimer) => folded.includes(squash(fold(disclaimer)))) || DISCLAIMER_LIKE.test(folded);
}

/**
 * Every match of the patterns, in reading order, overlaps dropped (the earlier, then longer, wins),
 * and negated ones left out: «мы не гарантируем доход», "never take a loan" are honest.
 */
function findAll(text: string, patterns: readonly Pattern[]): Match[] {
  const folded = fold(text);
  const found: Match[] = [];
  for (const pattern of patterns) {
    for (const m of folded.matchAll(pattern.regex)) {
      if (isNegated(folded.slice(0, m.index))) continue;
      found.push({ index: m.index, text: text.slice(m.index, m.index + m[0].length), pattern, groups: { ...m.groups } });
    }
  }
  found.sort((a, b) => a.index - b.index || b.text.length - a.text.length);
  const kept: Match[] = [];
  for (const match of found) {
    const last = kept.at(-1);
    if (!last || match.index >= last.index + last.text.length) kept.push(match);
  }
  return kept;
}

const NEGATIONS = new Set(['не', 'нет', 'нельзя', 'никогда', 'ни', 'never', 'not', 'no', 'without', 'dont', 'doesnt', 'shouldnt', 'wont', 'wouldnt', 'cant', 'cannot', 'isnt', 'arent']);

/** Words that may stand between a negation and what it negates: «не советуем вам брать», "don't need to take". */
const BRIDGES = new Set([
  'вам', 'тебе', 'вас', 'вообще', 'точно', 'советую', 'советуем', 'рекомендую', 'рекомендуем', 'рекомендуется', 'нужно', 'надо', 'стоит', 'следует',
  'you', 'to', 'that', 'ever', 'recommend', 'advise', 'suggest', 'should', 'would', 'need', 'have', 'must',
]);

/**
 * Whether the phrase that follows `before` is negated within its clause. Deliberately narrow: only
 * a negation right before it, or across advice words, counts, so «не упустите гарантированный доход»
 * is still a promise. A missed negation costs a rewrite or an escalation, never an unsafe reply.
 */
function isNegated(before: string): boolean {
  const clause = before.split(/[.!?;:,\n()«»"—–]/).at(-1) ?? '';
  const words = (clause.toLowerCase().match(/[\p{L}'’]+/gu) ?? []).map((word) => word.replace(/['’]/g, ''));
  for (let i = words.length - 1; i >= 0; i--) {
    if (NEGATIONS.has(words[i])) return true;
    if (!BRIDGES.has(words[i])) return false;
  }
  return false;
}

/** ё → е, length-preserving, so positions in the folded text are positions in the original. */
function fold(text: string): string {
  return text.replace(/ё/g, 'е').replace(/Ё/g, 'Е');
}

function squash(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

function replacementFor(match: Match, to: string, sentenceStart: boolean): string {
  const { noun, article } = match.groups;
  let replacement = to;
  if (match.pattern.nounFirst && noun) {
    // Taken from the original text (the noun ends the match) to keep its ё.
    const original = match.text.slice(match.text.length - noun.length);
    const an = /^[aeiou]/i.test(noun) ? 'an' : 'a';
    replacement = `${article ? `${an} ` : ''}${original} ${to}`;
  }
  return sentenceStart ? replacement.charAt(0).toUpperCase() + replacement.slice(1) : replacement;
}

/** "Only today!" becomes "Whenever you are ready!", "It is Risk Free" becomes "It is with managed risk". */
function startsSentence(text: string, index: number): boolean {
  return /(?:^|[.!?…\n])[\s•·*\-–—]*$/u.test(text.slice(0, index));
}
