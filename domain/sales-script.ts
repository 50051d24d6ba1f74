/** The facts a sales script is built from; the script is regenerated only when they change. */
export interface SalesScriptFacts {
  firstName: string | null;
  segment: string | null;
  score: number | null;
  stage: string | null;
  product: string | null;
  trigger: string;
  facts: Record<string, string>;
}

/** A stable text form of the facts (sorted keys), hashed by the activity to decide on regeneration. */
export function canonicalFacts(facts: SalesScriptFacts): string {
  const sortedFacts = Object.fromEntries(Object.entries(facts.facts).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ ...facts, facts: sortedFacts });
}

const BY_SEGMENT: Record<string, { needs: string; pitch: string; objection: string }> = {
  cold: {
    needs: 'Что уже пробовали? Какую сумму готовы не трогать минимум год?',
    pitch: 'Базовая программа: с нуля, без обещаний доходности, с разбором рисков.',
    objection: '«Это сложно» — покажите первый урок и план на 4 недели.',
  },
  warm: {
    needs: 'Какой портфель сейчас? Что не устраивает в результатах?',
    pitch: 'Программа по портфелю: распределение, ребалансировка, риск-менеджмент.',
    objection: '«Я и сам разберусь» — сравните время самостоятельного поиска и цену ошибок.',
  },
  hot: {
    needs: 'Какой объём капитала и горизонт? Какие инструменты уже используете?',
    pitch: 'Продвинутая программа и консультация с экспертом; места — только если правда ограничены.',
    objection: '«Дорого» — рассрочка (первый платёж — треть цены), разбор окупаемости без гарантий дохода.',
  },
};

/** The template script, used when the model is not configured or fails. */
export function templateSalesScript(f: SalesScriptFacts): string {
  const plan = BY_SEGMENT[f.segment ?? ''] ?? {
    needs: 'Опрос не пройден: узнайте опыт, цель и бюджет (можно предложить опрос из 5 вопросов).',
    pitch: 'Подберите программу после ответов; не называйте цену до выяснения целей.',
    objection: '«Это развод» — расскажите о подходе школы, рисках и отзывах; никаких гарантий дохода.',
  };
  const known = Object.entries(f.facts).slice(0, 8).map(([k, v]) => `${k}: ${v}`).join('; ');
  return [
    `📋 Скрипт продаж${f.firstName ? ` для ${f.firstName}` : ''}`,
    `1. Приветствие: «${f.firstName ? `${f.firstName}, з` : 'З'}дравствуйте! Я менеджер школы, вижу ваш запрос — помогу разобраться.»`,
    `2. Потребности: ${plan.needs}`,
    `3. Презентация: ${f.product ? `«${f.product}». ` : ''}${plan.pitch}`,
    `4. Возражения: ${plan.objection}`,
    `5. Следующий шаг: ${f.stage === 'closing' || f.trigger === 'purchase_intent' ? 'ссылка на оплату или рассрочка' : 'консультация (12:00/14:00/16:00/18:00 МСК) или материалы'}.`,
    `6. Советы: сегмент ${f.segment ?? 'неизвестен'}${f.score !== null ? ` (${f.score}/13)` : ''}; не обещайте доход; фиксируйте договорённости.${known ? ` Известно: ${known}.` : ''}`,
  ].join('\n');
}
