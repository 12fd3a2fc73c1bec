// dist/cjs holds the CommonJS build of devsup/child; the package itself is "type": "module".
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
