// A stand-in for a database pool: connecting and closing take time, like the real thing.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Pool {
  query(sql: string): Promise<string>;
  end(): Promise<void>;
}

export async function connect(): Promise<Pool> {
  await sleep(20);
  let open = true;
  return {
    async query(sql) {
      if (!open) throw new Error('pool is closed');
      await sleep(1);
      return `result of ${sql}`;
    },
    async end() {
      await sleep(300); // flushing and closing connections
      open = false;
    },
  };
}
