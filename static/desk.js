// The paper desk: Enter in an answer saves the card, as in every other field; Shift+Enter
// still starts a new line. Without this script the save button is a Tab away.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  if (!(field instanceof HTMLTextAreaElement) || !field.form?.hasAttribute("data-desk")) return;
  event.preventDefault();
  field.form.requestSubmit();
});
