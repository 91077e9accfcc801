// The sandbox provider's hosted payment page: amount, description, Pay and Decline. The buttons
// post the payer's decision to the complete endpoint (as a real provider's page would talk to its
// own backend), then show the result and a link back to the order. The call carries no cookies, as
// from a provider's own origin: the portal's session cookie would make it a cookie-authenticated
// request that the CSRF check refuses. Self-contained, no scripts
// from elsewhere; every value escaped; the payment id goes to the script as JSON, not markup.
import { format, money } from '../../domain/money.ts';
import { escapeHtml } from '../../domain/html-escape.ts';
import type { SandboxPaymentRow } from './sandbox-service.ts';

export function sandboxPaymentPage(row: SandboxPaymentRow): string {
  const amount = escapeHtml(format(money(row.amount_minor, row.currency)));
  const done = row.status !== 'pending';
  const script = `const id=${JSON.stringify(row.payment_id).replace(/</g, '\\u003c')};
async function decide(outcome){
  document.querySelectorAll('button').forEach(b=>b.disabled=true);
  const r=await fetch('/api/v1/sandbox/payments/'+encodeURIComponent(id)+'/complete',{method:'POST',credentials:'omit',headers:{'content-type':'application/json'},body:JSON.stringify({outcome})});
  document.getElementById('result').textContent=r.status===202?(outcome==='succeeded'?'Payment accepted.':'Payment declined.'):'Something went wrong ('+r.status+').';
  document.getElementById('back').hidden=false;
}
document.getElementById('pay').addEventListener('click',()=>decide('succeeded'));
document.getElementById('decline').addEventListener('click',()=>decide('failed'));`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox payment</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:2rem 1rem;color:#1d2330}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.25rem;margin:.25rem 0}.amount{font-size:2.25rem;font-weight:600;margin:.75rem 0 1.25rem}
button{font-size:1rem;padding:.7rem 1.4rem;margin-right:.5rem;border-radius:8px;border:1px solid #c4c8d0;background:#fff;cursor:pointer}
#pay{background:#1a7f4b;border-color:#1a7f4b;color:#fff}button:disabled{opacity:.45;cursor:default}
.note{color:#6b7280;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;margin:0}</style></head>
<body><main><p class="note">simkeep sandbox provider · no real money moves</p>
<h1>${escapeHtml(row.description)}</h1><p class="amount">${amount}</p>
<p>${done ? `This payment is already ${escapeHtml(row.status)}.` : ''}</p>
<button id="pay"${done ? ' disabled' : ''}>Pay</button><button id="decline"${done ? ' disabled' : ''}>Decline</button>
<p id="result" role="status"></p><p id="back"${done ? '' : ' hidden'}><a href="${escapeHtml(row.return_url)}">Back to the order</a></p></main>
<script>${script}</script></body></html>`;
}
