// Stops at once, with what to do, on a Node.js older than mailroom runs on: run
// by `npm install` (preinstall, before any dependency builds its native code)
// and by the `mailroom` command itself.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `\nmailroom needs Node.js 22.19 or newer (24 LTS recommended); this is ${process.version}.\n` +
      'Install Node.js 24 (for example `nvm install 24`, or from nodejs.org or your package manager), or run the Docker image (README.md).\n\n',
  );
  process.exit(1);
}
