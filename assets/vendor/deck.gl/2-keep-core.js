// The @deck.gl/json bundle assigns its exports to window.deck; keep the core bundle's first.
window.__deckCore = window.deck;
