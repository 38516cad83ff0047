// One `deck` global: the core bundle plus JSONConverter/JSONConfiguration from @deck.gl/json.
window.deck = Object.assign({}, window.__deckCore, window.deck);
delete window.__deckCore;
