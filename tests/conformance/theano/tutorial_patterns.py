"""The six patterns of the classic Deep Learning Tutorials, written for this project on small synthetic data:
logistic regression with minibatch SGD, early stopping and pickling of the best model; a multilayer perceptron;
LeNet (convolution + pooling); a denoising autoencoder with MRG_RandomStreams corruption; an Elman RNN over
context windows with scan (slot filling); an LSTM with masks, MRG dropout and adadelta.

Each runs unchanged against Theano or layerkit_backend: only the module behind ``lib`` differs.
"""
import collections
import pickle

import numpy as np

from programs import program

G = "patterns"


def _shared_dataset(theano, T, data_xy, floatX):
    data_x, data_y = data_xy
    shared_x = theano.shared(np.asarray(data_x, dtype=floatX), borrow=True)
    shared_y = theano.shared(np.asarray(data_y, dtype=floatX), borrow=True)
    return shared_x, T.cast(shared_y, "int32")


def _blobs(rng, n, n_in, n_out, spread=1.5):
    centres = rng.randn(n_out, n_in) * spread
    y = rng.randint(0, n_out, size=n)
    x = centres[y] + rng.randn(n, n_in)
    return x, y


class LogisticRegression:
    """Multi-class logistic regression: softmax(xW + b), with its negative log-likelihood and error rate."""

    def __init__(self, theano, T, input, n_in, n_out, floatX):
        self.W = theano.shared(value=np.zeros((n_in, n_out), dtype=floatX), name="W", borrow=True)
        self.b = theano.shared(value=np.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, T, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, T, y):
        return T.mean(T.neq(self.y_pred, y))


class HiddenLayer:
    """A fully connected layer with Glorot-uniform weights drawn from a NumPy RandomState."""

    def __init__(self, theano, T, rng, input, n_in, n_out, floatX, activation):
        bound = np.sqrt(6.0 / (n_in + n_out))
        W_values = np.asarray(rng.uniform(low=-bound, high=bound, size=(n_in, n_out)), dtype=floatX)
        if activation == "sigmoid":
            W_values *= 4
        self.W = theano.shared(value=W_values, name="W", borrow=True)
        self.b = theano.shared(value=np.zeros((n_out,), dtype=floatX), name="b", borrow=True)
        lin = T.dot(input, self.W) + self.b
        self.output = T.tanh(lin) if activation == "tanh" else T.nnet.sigmoid(lin)
        self.params = [self.W, self.b]


@program(G)
def logistic_sgd(lib):
    theano, T = lib.theano, lib.T
    floatX = theano.config.floatX
    rng = np.random.RandomState(1234)
    train = _blobs(rng, 120, 6, 3)
    valid = _blobs(rng, 40, 6, 3)
    train_x, train_y = _shared_dataset(theano, T, train, floatX)
    valid_x, valid_y = _shared_dataset(theano, T, valid, floatX)
    batch_size, n_epochs, learning_rate = 20, 8, 0.13
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(theano, T, input=x, n_in=6, n_out=3, floatX=floatX)
    cost = classifier.negative_log_likelihood(T, y)
    validate_model = theano.function(inputs=[index], outputs=classifier.errors(T, y), givens={
        x: valid_x[index * batch_size:(index + 1) * batch_size], y: valid_y[index * batch_size:(index + 1) * batch_size]})
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W), (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates, givens={
        x: train_x[index * batch_size:(index + 1) * batch_size], y: train_y[index * batch_size:(index + 1) * batch_size]})
    n_train, n_valid = 120 // batch_size, 40 // batch_size
    best_validation_loss = np.inf
    best_pickle = None
    costs, losses = [], []
    for epoch in range(n_epochs):
        for minibatch_index in range(n_train):
            costs.append(train_model(minibatch_index))
        this_loss = np.mean([validate_model(i) for i in range(n_valid)])
        losses.append(this_loss)
        if this_loss < best_validation_loss:
            best_validation_loss = this_loss
            best_pickle = pickle.dumps(classifier)
    best = pickle.loads(best_pickle)
    predict_model = theano.function(inputs=[best.input], outputs=best.y_pred)
    predicted = predict_model(np.asarray(valid[0][:10], dtype=floatX))
    return {"costs": np.array(costs), "losses": np.array(losses), "W": classifier.W.get_value(),
            "best_W": best.W.get_value(), "predicted": predicted, "best_loss": best_validation_loss}


@program(G)
def mlp(lib):
    theano, T = lib.theano, lib.T
    floatX = theano.config.floatX
    rng = np.random.RandomState(1234)
    data = _blobs(rng, 100, 5, 4, spread=1.0)
    train_x, train_y = _shared_dataset(theano, T, data, floatX)
    batch_size, learning_rate, L1_reg, L2_reg = 25, 0.05, 0.001, 0.0001
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    hidden = HiddenLayer(theano, T, rng, input=x, n_in=5, n_out=8, floatX=floatX, activation="tanh")
    logreg = LogisticRegression(theano, T, input=hidden.output, n_in=8, n_out=4, floatX=floatX)
    L1 = abs(hidden.W).sum() + abs(logreg.W).sum()
    L2_sqr = (hidden.W ** 2).sum() + (logreg.W ** 2).sum()
    params = hidden.params + logreg.params
    cost = logreg.negative_log_likelihood(T, y) + L1_reg * L1 + L2_reg * L2_sqr
    gparams = [T.grad(cost, param) for param in params]
    updates = [(param, param - learning_rate * gparam) for param, gparam in zip(params, gparams)]
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates, givens={
        x: train_x[index * batch_size:(index + 1) * batch_size], y: train_y[index * batch_size:(index + 1) * batch_size]})
    errors = theano.function([], logreg.errors(T, y), givens={x: train_x, y: train_y})
    costs = [train_model(i % 4) for i in range(24)]
    return {"costs": np.array(costs), "errors": errors(), "params": [p.get_value() for p in params]}


class LeNetConvPoolLayer:
    """Convolution, max pooling, a per-channel bias and tanh."""

    def __init__(self, theano, T, lib, rng, input, filter_shape, image_shape, poolsize, floatX):
        conv2d = lib.imp("tensor.nnet").conv2d
        pool = lib.imp("tensor.signal.pool")
        fan_in = np.prod(filter_shape[1:])
        fan_out = filter_shape[0] * np.prod(filter_shape[2:]) // np.prod(poolsize)
        W_bound = np.sqrt(6.0 / (fan_in + fan_out))
        self.W = theano.shared(np.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape), dtype=floatX),
                               borrow=True)
        self.b = theano.shared(value=np.zeros((filter_shape[0],), dtype=floatX), borrow=True)
        conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
        pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


@program(G)
def lenet(lib):
    theano, T = lib.theano, lib.T
    floatX = theano.config.floatX
    rng = np.random.RandomState(23455)
    n, batch_size = 24, 8
    images = rng.rand(n, 1, 12, 12)
    labels = (images[:, 0, :6].mean(axis=(1, 2)) > images[:, 0, 6:].mean(axis=(1, 2))).astype("int64")
    train_x, train_y = _shared_dataset(theano, T, (images.reshape(n, 144), labels), floatX)
    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    layer0_input = x.reshape((batch_size, 1, 12, 12))
    layer0 = LeNetConvPoolLayer(theano, T, lib, rng, input=layer0_input, image_shape=(batch_size, 1, 12, 12),
                                filter_shape=(3, 1, 3, 3), poolsize=(2, 2), floatX=floatX)
    layer1 = LeNetConvPoolLayer(theano, T, lib, rng, input=layer0.output, image_shape=(batch_size, 3, 5, 5),
                                filter_shape=(4, 3, 2, 2), poolsize=(2, 2), floatX=floatX)
    layer2 = HiddenLayer(theano, T, rng, input=layer1.output.flatten(2), n_in=4 * 2 * 2, n_out=6, floatX=floatX,
                         activation="tanh")
    layer3 = LogisticRegression(theano, T, input=layer2.output, n_in=6, n_out=2, floatX=floatX)
    cost = layer3.negative_log_likelihood(T, y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(p, p - 0.1 * g) for p, g in zip(params, grads)]
    train_model = theano.function([index], cost, updates=updates, givens={
        x: train_x[index * batch_size:(index + 1) * batch_size], y: train_y[index * batch_size:(index + 1) * batch_size]})
    test_model = theano.function([index], layer3.errors(T, y), givens={
        x: train_x[index * batch_size:(index + 1) * batch_size], y: train_y[index * batch_size:(index + 1) * batch_size]})
    costs = [train_model(i % 3) for i in range(9)]
    return {"costs": np.array(costs), "errors": np.array([test_model(i) for i in range(3)]),
            "W0": layer0.W.get_value(), "W1": layer1.W.get_value()}


class DenoisingAutoencoder:
    """Tied weights, sigmoid units, masking corruption drawn from MRG_RandomStreams, cross-entropy cost."""

    def __init__(self, theano, T, lib, numpy_rng, input, n_visible, n_hidden, floatX):
        MRG_RandomStreams = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
        self.theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))
        bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
        initial_W = np.asarray(numpy_rng.uniform(low=-bound, high=bound, size=(n_visible, n_hidden)), dtype=floatX)
        self.W = theano.shared(value=initial_W, name="W", borrow=True)
        self.b = theano.shared(value=np.zeros(n_hidden, dtype=floatX), name="b", borrow=True)
        self.b_prime = theano.shared(value=np.zeros(n_visible, dtype=floatX), name="b_prime", borrow=True)
        self.W_prime = self.W.T
        self.x = input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, theano, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_cost_updates(self, theano, T, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(theano, self.x, corruption_level)
        y = T.nnet.sigmoid(T.dot(tilde_x, self.W) + self.b)
        z = T.nnet.sigmoid(T.dot(y, self.W_prime) + self.b_prime)
        L = -T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam) for param, gparam in zip(self.params, gparams)]
        return cost, updates


@program(G)
def denoising_autoencoder(lib):
    theano, T = lib.theano, lib.T
    floatX = theano.config.floatX
    rng = np.random.RandomState(123)
    data = (rng.rand(30, 12) > 0.6).astype(floatX)
    train_x = theano.shared(data, borrow=True)
    index = T.lscalar()
    x = T.matrix("x")
    da = DenoisingAutoencoder(theano, T, lib, rng, input=x, n_visible=12, n_hidden=5, floatX=floatX)
    cost, updates = da.get_cost_updates(theano, T, corruption_level=0.3, learning_rate=0.1)
    train_da = theano.function([index], cost, updates=updates, givens={x: train_x[index * 10:(index + 1) * 10]})
    costs = [train_da(i % 3) for i in range(12)]
    return {"costs": np.array(costs), "W": da.W.get_value(), "b_prime": da.b_prime.get_value()}


def _contextwin(sentence, win):
    padded = win // 2 * [-1] + list(sentence) + win // 2 * [-1]
    return np.array([padded[i:i + win] for i in range(len(sentence))], dtype="int32")


class ElmanRNN:
    """Word embeddings over context windows, a sigmoid recurrence by scan and a softmax per step (rnnslu)."""

    def __init__(self, theano, T, nh, nc, ne, de, cs, floatX):
        rng = np.random.RandomState(3435)

        def init(*shape):
            return theano.shared(0.2 * rng.uniform(-1.0, 1.0, shape).astype(floatX))

        self.emb = init(ne + 1, de)
        self.wx, self.wh, self.w = init(de * cs, nh), init(nh, nh), init(nh, nc)
        self.bh = theano.shared(np.zeros(nh, dtype=floatX))
        self.b = theano.shared(np.zeros(nc, dtype=floatX))
        self.h0 = theano.shared(np.zeros(nh, dtype=floatX))
        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]
        idxs = T.imatrix()
        x = self.emb[idxs].reshape((idxs.shape[0], de * cs))
        y_sentence = T.ivector("y_sentence")

        def recurrence(x_t, h_tm1):
            h_t = T.nnet.sigmoid(T.dot(x_t, self.wx) + T.dot(h_tm1, self.wh) + self.bh)
            s_t = T.nnet.softmax(T.dot(h_t, self.w) + self.b)
            return [h_t, s_t]

        [h, s], _ = theano.scan(fn=recurrence, sequences=x, outputs_info=[self.h0, None], n_steps=x.shape[0])
        p_y_given_x_sentence = s[:, 0, :]
        y_pred = T.argmax(p_y_given_x_sentence, axis=1)
        lr = T.scalar("lr")
        sentence_nll = -T.mean(T.log(p_y_given_x_sentence)[T.arange(x.shape[0]), y_sentence])
        sentence_gradients = T.grad(sentence_nll, self.params)
        sentence_updates = collections.OrderedDict((p, p - lr * g) for p, g in zip(self.params, sentence_gradients))
        self.classify = theano.function(inputs=[idxs], outputs=y_pred)
        self.sentence_train = theano.function(inputs=[idxs, y_sentence, lr], outputs=sentence_nll,
                                              updates=sentence_updates)
        self.normalize = theano.function(inputs=[], updates={
            self.emb: self.emb / T.sqrt((self.emb ** 2).sum(axis=1)).dimshuffle(0, "x")})


@program(G, linker="py")
def elman_rnn(lib):
    theano, T = lib.theano, lib.T
    floatX = theano.config.floatX
    rng = np.random.RandomState(7)
    vocab, n_classes, win = 12, 4, 3
    sentences = [rng.randint(0, vocab, size=rng.randint(4, 8)) for _ in range(6)]
    tags = [(s % n_classes).astype("int32") for s in sentences]
    rnn = ElmanRNN(theano, T, nh=6, nc=n_classes, ne=vocab, de=4, cs=win, floatX=floatX)
    nlls = []
    for epoch in range(3):
        for s, t in zip(sentences, tags):
            nlls.append(rnn.sentence_train(_contextwin(s, win), t, 0.1))
            rnn.normalize()
    predictions = [rnn.classify(_contextwin(s, win)) for s in sentences[:2]]
    return {"nll": np.array(nlls), "predictions": predictions, "emb": rnn.emb.get_value(),
            "wh": rnn.wh.get_value()}


def _ortho_weight(rng, ndim, floatX):
    # an orthogonal matrix (lstm.py takes the SVD's u; a sign-normalised QR gives the same numbers whatever the
    # LAPACK build, which the SVD's signs do not)
    q, r = np.linalg.qr(rng.randn(ndim, ndim))
    return (q * np.sign(np.diag(r))).astype(floatX)


def _lstm_params(rng, n_words, dim, ydim, floatX):
    params = collections.OrderedDict()
    params["Wemb"] = (0.01 * rng.rand(n_words, dim)).astype(floatX)
    params["lstm_W"] = np.concatenate([_ortho_weight(rng, dim, floatX) for _ in range(4)], axis=1)
    params["lstm_U"] = np.concatenate([_ortho_weight(rng, dim, floatX) for _ in range(4)], axis=1)
    params["lstm_b"] = np.zeros((4 * dim,)).astype(floatX)
    params["U"] = 0.01 * rng.randn(dim, ydim).astype(floatX)
    params["b"] = np.zeros((ydim,)).astype(floatX)
    return params


def _lstm_layer(theano, T, tparams, state_below, dim, mask):
    nsteps = state_below.shape[0]
    n_samples = state_below.shape[1]

    def _slice(_x, n, dim):
        return _x[:, n * dim:(n + 1) * dim]

    def _step(m_, x_, h_, c_):
        preact = T.dot(h_, tparams["lstm_U"]) + x_
        i = T.nnet.sigmoid(_slice(preact, 0, dim))
        f = T.nnet.sigmoid(_slice(preact, 1, dim))
        o = T.nnet.sigmoid(_slice(preact, 2, dim))
        c = T.tanh(_slice(preact, 3, dim))
        c = f * c_ + i * c
        c = m_[:, None] * c + (1.0 - m_)[:, None] * c_
        h = o * T.tanh(c)
        h = m_[:, None] * h + (1.0 - m_)[:, None] * h_
        return h, c

    state_below = T.dot(state_below, tparams["lstm_W"]) + tparams["lstm_b"]
    floatX = theano.config.floatX
    rval, updates = theano.scan(_step, sequences=[mask, state_below],
                                outputs_info=[T.alloc(np.asarray(0.0, dtype=floatX), n_samples, dim),
                                              T.alloc(np.asarray(0.0, dtype=floatX), n_samples, dim)],
                                n_steps=nsteps)
    return rval[0]


def _adadelta(theano, T, tparams, grads, x, mask, y, cost):
    floatX = theano.config.floatX
    zipped_grads = [theano.shared(p.get_value() * np.asarray(0.0, dtype=floatX)) for p in tparams.values()]
    running_up2 = [theano.shared(p.get_value() * np.asarray(0.0, dtype=floatX)) for p in tparams.values()]
    running_grads2 = [theano.shared(p.get_value() * np.asarray(0.0, dtype=floatX)) for p in tparams.values()]
    zgup = [(zg, g) for zg, g in zip(zipped_grads, grads)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rg2up)
    updir = [-T.sqrt(ru2 + 1e-6) / T.sqrt(rg2 + 1e-6) * zg
             for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2)]
    ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2)) for ru2, ud in zip(running_up2, updir)]
    param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir)]
    f_update = theano.function([], [], updates=ru2up + param_up)
    return f_grad_shared, f_update


@program(G, linker="py")
def lstm(lib):
    theano, T = lib.theano, lib.T
    MRG_RandomStreams = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    floatX = theano.config.floatX
    rng = np.random.RandomState(123)
    n_words, dim, ydim = 15, 6, 2
    tparams = collections.OrderedDict((k, theano.shared(v, name=k))
                                      for k, v in _lstm_params(rng, n_words, dim, ydim, floatX).items())
    trng = MRG_RandomStreams(1234)
    use_noise = theano.shared(np.asarray(0.0, dtype=floatX))
    x = T.matrix("x", dtype="int64")
    mask = T.matrix("mask", dtype=floatX)
    y = T.vector("y", dtype="int64")
    n_timesteps, n_samples = x.shape[0], x.shape[1]
    emb = tparams["Wemb"][x.flatten()].reshape([n_timesteps, n_samples, dim])
    proj = _lstm_layer(theano, T, tparams, emb, dim, mask)
    proj = (proj * mask[:, :, None]).sum(axis=0)
    proj = proj / mask.sum(axis=0)[:, None]
    proj = T.switch(use_noise, proj * trng.binomial(proj.shape, p=0.5, n=1, dtype=proj.dtype), proj * 0.5)
    pred = T.nnet.softmax(T.dot(proj, tparams["U"]) + tparams["b"])
    f_pred = theano.function([x, mask], pred.argmax(axis=1))
    off = 1e-8 if pred.dtype != "float16" else 1e-6
    cost = -T.log(pred[T.arange(n_samples), y] + off).mean()
    decay_c = theano.shared(np.asarray(1e-4, dtype=floatX), name="decay_c")
    cost += decay_c * (tparams["U"] ** 2).sum()
    grads = T.grad(cost, wrt=list(tparams.values()))
    f_grad_shared, f_update = _adadelta(theano, T, tparams, grads, x, mask, y, cost)
    lengths = [5, 3, 4, 2, 5, 4]
    seqs = [rng.randint(1, n_words, size=n) for n in lengths]
    labels = np.array([int(s.sum() % 2) for s in seqs], dtype="int64")
    xv = np.zeros((max(lengths), len(seqs)), dtype="int64")
    mv = np.zeros((max(lengths), len(seqs)), dtype=floatX)
    for k, s in enumerate(seqs):
        xv[:len(s), k] = s
        mv[:len(s), k] = 1.0
    use_noise.set_value(1.0)
    costs = []
    for _ in range(6):
        costs.append(f_grad_shared(xv, mv, labels))
        f_update()
    use_noise.set_value(0.0)
    return {"costs": np.array(costs), "pred": f_pred(xv, mv), "U": tparams["U"].get_value(),
            "lstm_W": tparams["lstm_W"].get_value()}
