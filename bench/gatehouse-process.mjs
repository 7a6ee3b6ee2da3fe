// Gatehouse as its own Node process for the bench, as `gatehouse serve` runs it: no harness sharing its event
// loop or heap. Reads its settings as one JSON argument, starts the gateway (bench/gatehouse.mjs), prints one JSON
// line with what the bench needs (ports, the password user's password, the bootstrap key for IAM tokens), and
// runs until killed.
import { startBenchGateway } from './gatehouse.mjs';

const { adminUrl, port, dataDir, logFile, storeDatabase, durableAudit, userSuffix } = JSON.parse(
  process.argv[2] ?? '{}',
);
const cluster = {
  port,
  adminUrl: (database) => {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    return url.toString();
  },
};
const gateway = await startBenchGateway({
  cluster,
  dataDir,
  logFile,
  storeDatabase,
  durableAudit,
  userSuffix,
});
const { port: gatewayPort, password, iamPort, region, credentials, user, iamUser } = gateway;
console.log(
  JSON.stringify({ ready: true, port: gatewayPort, password, iamPort, region, credentials, user, iamUser }),
);
const stop = () => gateway.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
