import { parentPort } from 'node:worker_threads';
import { selectBackend, type BackendChoice } from '../backend/select.ts';
import { buildRecipeModel, setWeightValues } from '../model/recipe-model.ts';
import { shuffleSeedOf } from '../recipe.ts';
import { CountingRng, mathRandomSeed } from '../random.ts';
import { Replica } from './replica.ts';
import { gradientSlot, type FromWorker, type GradientBanks, type PendingGradient, type ToWorker } from './protocol.ts';

/**
 * One replica of the model. Every replica starts from the same seeded
 * weights and applies the same averaged gradients with its own optimizer,
 * so the replicas stay identical without ever shipping weights during an
 * epoch.
 */
let replica: Replica;
let banks: GradientBanks;
let index = 0;
let random: CountingRng;

const port = parentPort!;

function post(message: FromWorker): void {
  port.postMessage(message);
}

/** Every replica sums the slots in the same order, so all of them apply bit-identical steps. */
function apply({ bank, batchSize, learningRate }: PendingGradient): void {
  replica.apply(
    Array.from({ length: banks.workers }, (_, w) => gradientSlot(banks, bank, w)),
    batchSize,
    learningRate,
  );
}

port.on('message', async (msg: ToWorker) => {
  try {
    switch (msg.type) {
      case 'init': {
        await selectBackend(msg.backend as BackendChoice);
        index = msg.index;
        // Each replica draws its own dropout masks.
        random = new CountingRng(mathRandomSeed(shuffleSeedOf(msg.recipe)) + 7919 * (msg.index + 1));
        Math.random = random.next;
        const model = buildRecipeModel(msg.recipe);
        if (msg.initialWeights) setWeightValues(model, msg.initialWeights);
        replica = new Replica(model, msg.recipe);
        if (msg.resume) {
          replica.optimizer.restore(msg.resume.optimizer);
          random.seek(msg.resume.randomDraws);
        }
        post({ type: 'ready', gradientLength: replica.gradientLength });
        break;
      }
      case 'banks':
        banks = msg.banks;
        post({ type: 'banked' });
        break;
      case 'step': {
        if (msg.apply) apply(msg.apply);
        const { lossSum, hits } = replica.gradients(msg.x, msg.accept, gradientSlot(banks, msg.bank, index), msg.teacher);
        post({ type: 'grads', lossSum, hits });
        break;
      }
      case 'apply':
        apply(msg.apply);
        post({ type: 'applied' });
        break;
      case 'weights':
        post({ type: 'weights', weights: replica.model.getWeights().map((w) => w.dataSync() as Float32Array) });
        break;
      case 'setWeights':
        setWeightValues(replica.model, msg.weights);
        replica.readBack();
        post({ type: 'weightsSet' });
        break;
      case 'state':
        post({ type: 'state', optimizer: replica.optimizer.state(), randomDraws: random.draws });
        break;
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
