// sd_notify(3) for `serve` under a systemd unit with Type=notify: READY=1, STOPPING=1, and MAINPID= when a rolling
// restart hands the service over to a successor process. Node has no AF_UNIX datagram socket, so this runs
// systemd-notify (which waits until systemd has read the message); nothing happens outside systemd.
import { spawn } from 'node:child_process';

/** Send `fields` (e.g. `READY=1`) when NOTIFY_SOCKET is set; resolves once sent (or failed: best effort). */
export function notifySystemd(...fields: string[]): Promise<void> {
  if (!process.env['NOTIFY_SOCKET']) return Promise.resolve();
  return new Promise((resolve) => {
    const child = spawn('systemd-notify', fields, { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}
