// Linux's socket tables, read the same way by both processes: devsup (what a leftover listens on, who holds a port)
// and the preload (whether a debugger is connected). Text in, facts out: the reading is the caller's (sync or not).

/** The kernel's TCP tables, IPv4 and IPv6. */
export const TCP_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'] as const;
export const TCP_ESTABLISHED = '01';
export const TCP_LISTEN = '0A';

/** The socket inode a /proc/<pid>/fd link points to (`socket:[4085214]`), if it is a socket. */
export const socketInode = (linkTarget: string): string | undefined => /^socket:\[(\d+)\]$/.exec(linkTarget)?.[1];

export interface TcpRow {
  /** The local address as the kernel writes it: little-endian hex, `0100007F:0BB8` is 127.0.0.1:3000. */
  local: string;
  /** The connection's state, in hex (TCP_LISTEN, TCP_ESTABLISHED, …). */
  state: string;
  inode: string;
}

/** The rows of one TCP table (its text). Fields: sl local rem st tx:rx tr:when retrnsmt uid timeout inode. */
export function tcpRows(table: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== undefined && f[3] !== undefined && f[9] !== undefined) rows.push({ local: f[1], state: f[3], inode: f[9] });
  }
  return rows;
}

/** The port of an address as the table writes it (`0100007F:0BB8` is 3000). */
export const tablePort = (address: string): number => Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
