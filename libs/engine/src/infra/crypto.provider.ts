import { Provider } from '@nestjs/common';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DataKeys, PhoneCipher } from '@tsunagu/security';

export const cryptoProvider: Provider = {
  provide: PhoneCipher,
  inject: [TSUNAGU_CONFIG],
  useFactory: (config: TsunaguConfig) => new PhoneCipher(DataKeys.fromBase64(config.dataKey)),
};
