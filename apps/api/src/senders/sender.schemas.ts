import { exact, int, list, str, time, uuid } from '../http/openapi/schema-parts';

const SENDER_FIELDS = {
  id: uuid(),
  address: str({ example: '00051234' }),
  kind: str({ enum: ['short_code', 'long_number', 'alphanumeric'] }),
  ton: int({ description: 'SMPP type of number the address goes out with.' }),
  npi: int({ description: 'SMPP numbering plan indicator.' }),
  state: str({ enum: ['requested', 'approved', 'suspended'], description: 'Only an approved sender may be used, and only on its routes.' }),
  routes: list(str(), { description: 'Empty: every route.' }),
  updatedBy: str({ example: 'operator:yamada', description: 'Who made the last change (`apikey:<id>`, `staff:<email>`, `operator:<name>`).' }),
  updatedAt: time(),
  createdAt: time(),
};

export const SENDER_SCHEMA = exact(SENDER_FIELDS);

export const SENDER_LIST_SCHEMA = list(SENDER_SCHEMA);

/** The operators' queue: each sender with the organisation that asked for it. */
export const OPERATOR_SENDER_LIST_SCHEMA = list(exact({ ...SENDER_FIELDS, tenantId: uuid({ description: 'The organisation that registered it.' }) }));
