// The console works without this file. It only asks for confirmation before destructive forms.
/* global document, window */
'use strict';
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
