import { ATTEMPT_SCHEMA } from '../messages/message.schemas';
import { bool, exact, int, list, nullable, str, time, uuid } from '../http/openapi/schema-parts';

export const LOOKUP_SCHEMA = exact({ id: uuid({ description: 'The contact with this number (found through the blind index).' }) });

export const LINE_LINK_SCHEMA = exact({ contactId: uuid(), lineLinked: bool() });

export const CONVERSATION_SCHEMA = exact({
  contactEvents: list(exact({ type: str({ example: 'contact.line_linked' }), source: str(), occurredAt: time() }), { description: 'What happened to the contact, not to a message: LINE link, unlink, follow, unfollow.' }),
  contact: exact({
    id: uuid(),
    phone: nullable(str({ example: '+81 90-****-5678', description: 'Masked: the API never returns a whole number. Null once erased.' })),
    erasedAt: nullable(time({ description: "When the person's data was erased on request." })),
    lineLinked: bool(),
    lineFollowing: nullable(bool({ description: 'Null until LINE has told us (a follow or unfollow event).' })),
    optOuts: list(str()),
  }),
  items: list(
    exact({
      id: uuid(),
      direction: str({ enum: ['outbound', 'inbound'] }),
      channel: nullable(str()),
      category: nullable(str()),
      status: str(),
      reason: nullable(str()),
      possibleDuplicate: bool(),
      text: nullable(str()),
      textRedacted: bool(),
      partial: nullable(
        exact({ partsReceived: nullable(int()), parts: nullable(int()) }, { description: 'A long SMS reply whose missing parts never came: the text is the parts that did. Null for a whole message.' }),
      ),
      createdAt: time(),
      attempts: list(ATTEMPT_SCHEMA),
      events: list(exact({ type: str(), source: str(), status: nullable(str()), reason: nullable(str()), occurredAt: time() })),
    }),
    { description: 'Newest first, every channel in one list.' },
  ),
  nextCursor: nullable(str({ description: 'Pass as `before` for the next (older) page; null at the end.' })),
});

export const ERASURE_SCHEMA = exact({
  contactId: uuid(),
  erasedAt: time(),
  messages: int({ minimum: 0, description: 'Messages whose text, content and metadata were removed.' }),
});
