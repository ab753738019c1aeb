import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboundAttempt } from '@tsunagu/channels';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { ContactService } from '../contacts/contact.service';

/** The attempt as an adapter sees it; the phone is decrypted here, in memory only. */
@Injectable()
export class AttemptViews {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactService,
  ) {}

  async outbound(attempt: AttemptEntity, message?: MessageEntity, knownContact?: ContactEntity): Promise<OutboundAttempt> {
    const msg = message ?? (await this.db.getRepository(MessageEntity).findOneByOrFail({ id: attempt.messageId }));
    const contact = knownContact ?? (await this.db.getRepository(ContactEntity).findOneByOrFail({ id: msg.contactId }));
    return {
      attemptId: attempt.id,
      messageId: msg.id,
      tenantId: msg.tenantId,
      category: msg.category!,
      to: { phoneE164: this.contacts.phoneOf(contact), lineUserId: contact.lineUserId },
      text: msg.text ?? '',
      rcs: msg.rcs,
      line: msg.line,
      sender: attempt.sender,
      timeoutSeconds: attempt.timeoutSeconds,
      allowInternational: msg.plan?.allowInternational ?? false,
      providerMessageId: attempt.providerMessageId,
      route: attempt.route,
    };
  }
}
