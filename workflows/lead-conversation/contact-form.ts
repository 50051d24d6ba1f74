import { patched } from '@temporalio/workflow';
import { decodeButton } from '../../domain/callback-data';
import {
  FORM_ABANDON_MS,
  FORM_SCOPE,
  onFormButton,
  onFormContact,
  onFormText,
  type ContactFormTexts,
  type FormEffect,
} from '../../domain/contact-form';
import type { InboundEvent } from '../../domain/inbound-event';
import { leadDeskButton } from '../../domain/lead-desk';
import type { Conversation } from './context';
import { startHandoff } from './handoff';
import { notifyManagers, recordEvent, send } from './outbound';

/** The open contact form takes text, a shared contact and its own buttons first. */
export function formReaction(c: Conversation, texts: ContactFormTexts, event: InboundEvent): FormEffect[] | undefined {
  const form = c.state.form ?? { phase: 'idle' };
  if (event.kind === 'text') return onFormText(texts, form, event.text);
  if (event.kind === 'other' && event.contact) return onFormContact(texts, form, event.contact, event.from.id);
  if (event.kind === 'button') {
    const press = decodeButton(event.data);
    return press?.scope === FORM_SCOPE ? onFormButton(texts, form, press.buttonId) : undefined;
  }
  return undefined;
}

export async function runForm(c: Conversation, effects: FormEffect[]): Promise<void> {
  const { state } = c;
  for (const effect of effects) {
    if (effect.kind === 'send') await send(c, effect.content);
    else if (effect.kind === 'setForm') {
      state.form = effect.form;
      // Every answer re-arms the abandonment timer; a finished form disarms it.
      state.formDeadline = effect.form.phase === 'idle' ? null : Date.now() + FORM_ABANDON_MS;
    } else await submitForm(c, effect);
  }
}

/** The form is complete: the lead's contact is stored and the managers get the lead card. */
async function submitForm(c: Conversation, form: { phone: string; name: string; email: string | null }): Promise<void> {
  const { state } = c;
  if (state.leadId === null) return;
  await c.records.saveContact({ leadId: state.leadId, phone: form.phone, name: form.name, email: form.email });
  state.contact = { phone: form.phone, name: form.name };
  await recordEvent(c, 'lead_created', { trigger: 'contact_form', email: form.email !== null });
  const headline = `📝 Заявка: ${form.name}, ${form.phone}${form.email ? `, ${form.email}` : ''}`;
  if (patched('manager-handoff')) await startHandoff(c, 'contact_form', headline);
  else await notifyManagers(c, headline);
}

/** Ten minutes without an answer: the managers get an incomplete card with the lead's last 2 messages. */
export async function formAbandoned(c: Conversation): Promise<void> {
  const { state } = c;
  const form = state.form;
  state.formDeadline = null;
  state.form = { phase: 'idle' };
  if (!form || form.phase === 'idle' || state.leadId === null) return;
  const last = await c.records.lastLeadMessages({ leadId: state.leadId, count: 2 });
  await recordEvent(c, 'lead_incomplete', { phase: form.phase, phone: !!form.phone });
  if (patched('manager-handoff')) await c.records.setLeadStatus({ leadId: state.leadId, status: 'incomplete' });
  const known = [form.name, form.phone].filter(Boolean).join(', ');
  // A card the managers act on: take the dialog or read it (the lead desk's buttons, bot/handoffs/lead-desk.ts).
  const buttons = patched('incomplete-form-card') ? [[leadDeskButton('🙋 Взять диалог', state.leadId, 'take'), leadDeskButton('💬 Открыть диалог', state.leadId, 'open')]] : undefined;
  await notifyManagers(c, `⚠️ Незавершённая заявка${known ? ` (${known})` : ''}. Последние сообщения: ${last.map((t) => `«${t}»`).join(' / ') || '—'}`, buttons);
}
