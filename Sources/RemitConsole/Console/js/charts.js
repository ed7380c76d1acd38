import { Chart, registerables } from '/vendor/chart.js/chart.mjs';
import { h } from './ui.js';

Chart.register(...registerables);

/// A labelled chart in a figure; `draw` makes it once the canvas is in the page.
export function chart(id, label, config, width = 'col-md-6') {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': label });
  const figure = h('figure', { class: width }, h('figcaption', { class: 'h6' }, label), canvas);
  let drawn = null;
  return {
    figure,
    draw: () => { drawn = new Chart(canvas, { ...config, options: { animation: false, responsive: true, ...config.options } }); return drawn; },
    get chart() { return drawn; },
  };
}
