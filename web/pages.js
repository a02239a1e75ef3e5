// Pages shown once the vault is open.
export async function render(main, health) {
  main.replaceChildren(Object.assign(document.createElement('p'), { textContent: `bomvault ${health.version}: the vault is open.` }));
}
