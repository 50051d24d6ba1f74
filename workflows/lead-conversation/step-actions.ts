import { patched } from '@temporalio/workflow';
import { startSurvey } from '../../domain/conversation';
import { startBooking } from '../../domain/booking/booking-dialog';
import { startForm } from '../../domain/contact-form';
import { paymentOffer } from '../../domain/payments/payment-offer';
import type { Scenario, StepAction } from '../../domain/scenario';
import { bookingContext, runBooking } from './booking';
import { runForm } from './contact-form';
import { idPrefix, timeZoneOf, type Conversation } from './context';
import { recordEvent, send } from './outbound';
import { run } from './scenario-steps';
import { nextSequence } from './state';

const MATERIALS_AS_FILES_PATCH = 'materials-as-files';

/** A step's action: what the scenario asks the workflow to do beyond sending messages. */
export async function act(c: Conversation, current: Scenario, action: StepAction): Promise<void> {
  const { state } = c;
  switch (action.kind) {
    case 'startSurvey':
      return run(c, startSurvey(current));
    case 'contactForm':
      if (!current.contactForm) return;
      return runForm(c, startForm(current.contactForm));
    case 'book': {
      if (!current.booking || state.leadId === null) return;
      state.contact = await c.records.contactOf({ leadId: state.leadId });
      return runBooking(c, startBooking(bookingContext(c, current)));
    }
    case 'matchProducts': {
      if (state.leadId === null) return;
      const result = await c.records.matchProductsForLead({
        leadId: state.leadId,
        answers: state.answers ?? {},
        segment: state.segment ?? null,
        survey: current.survey ?? null,
        idempotencyKey: `${idPrefix()}/x${nextSequence(state)}`,
      });
      state.match = result ?? false;
      return;
    }
    case 'sendMaterials': {
      const request = {
        language: current.language,
        segment: state.segment ?? null,
        stage: state.stage ?? null,
        limit: action.limit,
        header: current.texts.materialsHeader,
        empty: current.texts.materialsEmpty,
      };
      // Materials with a file go out as the file, after the list (conversations from before replay the list alone).
      if (patched(MATERIALS_AS_FILES_PATCH)) {
        for (const content of await c.records.materialsMessages(request)) await send(c, content);
        return;
      }
      return send(c, await c.records.materialsMessage(request));
    }
    case 'answerSchedule': {
      const text = await c.records.scheduleAnswer({
        language: current.language,
        timeZone: timeZoneOf(c),
        texts: { nextCohort: current.texts.scheduleNext, seatsLeft: current.texts.scheduleSeatsLeft, noCohort: current.texts.scheduleUnknown },
      });
      return send(c, { type: 'text', text });
    }
    case 'offerPayment':
      // Without a matched product (no survey yet) the managers, already told, send the link.
      if (!current.payment || !state.match) return;
      return send(c, paymentOffer(current.payment, state.match));
    case 'optOut':
    case 'optIn':
      state.optedOut = action.kind === 'optOut';
      if (state.leadId !== null) await c.records.setOptedOut({ leadId: state.leadId, optedOut: state.optedOut });
      return recordEvent(c, action.kind === 'optOut' ? 'opted_out' : 'opted_in');
  }
}
