import type { Fallback, ScriptedAnswer } from '../../fakes/openai-server';
import { say, expectText, type Step } from './lead-walker';

/** A well-formed, harmless reply, as the model's JSON. */
const goodReply = (reply: string): ScriptedAnswer => ({
  kind: 'json',
  content: { reply, intent: 'other', next_action: 'answer', confidence: 0.9, profile_updates: {}, readiness: 1, stage: 'opening' },
});

/**
 * How the model misbehaves, one way per lead text, so every lead (and the reference lead) meets
 * the same faults in the same order. `timeoutMs` is the app's LLM_TIMEOUT_MS.
 */
export function modelFaults(timeoutMs: number): { text: string; fault: string; answer: ScriptedAnswer }[] {
  return [
    { text: 'расскажите подробнее', fault: 'slow but in time', answer: { kind: 'delay', ms: Math.round(timeoutMs / 3), then: goodReply('Курс идёт 8 недель, занятия по вечерам.') } },
    { text: 'а по времени сколько занимает', fault: 'slower than the timeout', answer: { kind: 'delay', ms: timeoutMs * 3, then: goodReply('Поздно.') } },
    { text: 'не совсем понял', fault: '500', answer: { kind: 'error', status: 500 } },
    { text: 'хм, интересно', fault: 'garbage JSON', answer: { kind: 'text', content: '{"reply": "Конечно, смотр' } },
    { text: 'а гарантии есть?', fault: 'unsafe text', answer: goodReply('Продайте квартиру и вложите все сбережения: доход 100% гарантирован!') },
  ];
}

/** The fake's fallback: the fault whose text the lead's last message holds, else a 500. */
export function answerByLeadText(faults: ReturnType<typeof modelFaults>): Fallback {
  return (body) => {
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    return faults.find((f) => lastUser.includes(f.text))?.answer ?? { kind: 'error', status: 500 };
  };
}

/** Each text, then any answer to it: a text met with silence leaves the walk stuck. */
export function askEach(faults: ReturnType<typeof modelFaults>): Step[] {
  return faults.flatMap((f) => [say(f.text), expectText('')]);
}
