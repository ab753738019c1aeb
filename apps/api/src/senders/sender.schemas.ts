import { exact, int, list, str, time, uuid } from '../http/openapi/schema-parts';

export const SENDER_SCHEMA = exact({
  id: uuid(),
  address: str({ example: '00051234' }),
  kind: str({ enum: ['short_code', 'long_number', 'alphanumeric'] }),
  ton: int({ description: 'SMPP type of number the address goes out with.' }),
  npi: int({ description: 'SMPP numbering plan indicator.' }),
  state: str({ enum: ['requested', 'approved', 'suspended'], description: 'Only an approved sender may be used, and only on its routes.' }),
  routes: list(str(), { description: 'Empty: every route.' }),
  updatedBy: str({ example: 'apikey:AFAqLXGGsoZa', description: 'Who made the last change.' }),
  updatedAt: time(),
  createdAt: time(),
});

export const SENDER_LIST_SCHEMA = list(SENDER_SCHEMA);
