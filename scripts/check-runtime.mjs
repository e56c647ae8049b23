// npm scripts must run on the Node 24 that `npm ci` installs into node_modules/.bin
// (the "node" package); this guard turns a silent wrong-runtime run into a clear error.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `Auspex needs Node.js 24 or newer, but npm scripts are running on ${process.version}.\n` +
      "Run 'npm ci' first: it installs Node 24 into node_modules/.bin, which npm scripts use.",
  );
  process.exit(1);
}
