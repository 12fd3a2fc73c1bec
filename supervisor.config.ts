// Configures the bundled demo (`npm run demo`). Your project's file looks the same, with your entry.
import { defineConfig } from 'devsup';

export default defineConfig({
  entry: 'demo/server.ts',
  stopTimeout: 5000,
});
