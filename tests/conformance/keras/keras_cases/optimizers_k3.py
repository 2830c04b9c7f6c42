"""Keras 3 optimizers added for issue 15 (Ftrl, Adafactor, Lamb, Lion) and the ``use_ema`` and
``gradient_accumulation_steps`` options of every optimizer, training a small MLP for three epochs (9 steps)."""
from .optimizers import _case

ROWS = [
    ("ftrl", lambda kl: "ftrl"),
    ("Ftrl", lambda kl: kl.optimizers.Ftrl(0.1, learning_rate_power=-0.7, initial_accumulator_value=0.5)),
    ("Ftrl_regularized", lambda kl: kl.optimizers.Ftrl(0.2, l1_regularization_strength=0.01,
                                                       l2_regularization_strength=0.02,
                                                       l2_shrinkage_regularization_strength=0.01, beta=0.1)),
    ("adafactor", lambda kl: "adafactor"),
    ("Adafactor", lambda kl: kl.optimizers.Adafactor(0.05, beta_2_decay=-0.6, clip_threshold=0.5)),
    ("Adafactor_absolute_step", lambda kl: kl.optimizers.Adafactor(0.02, relative_step=False, epsilon_2=0.01)),
    ("Lamb", lambda kl: kl.optimizers.Lamb(0.05, beta_1=0.8, beta_2=0.99)),
    ("Lamb_weight_decay", lambda kl: kl.optimizers.Lamb(0.05, weight_decay=0.1)),
    ("SGD_ema", lambda kl: kl.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.8)),
    ("Adam_ema_overwrite", lambda kl: kl.optimizers.Adam(0.02, use_ema=True, ema_momentum=0.5,
                                                         ema_overwrite_frequency=4)),
    ("SGD_accumulation", lambda kl: kl.optimizers.SGD(0.1, gradient_accumulation_steps=2)),
    ("Adam_accumulation", lambda kl: kl.optimizers.Adam(0.02, gradient_accumulation_steps=3)),
    ("RMSprop_accumulation_clipnorm", lambda kl: kl.optimizers.RMSprop(0.01, gradient_accumulation_steps=2,
                                                                       clipnorm=0.3)),
    ("Nadam_accumulation", lambda kl: kl.optimizers.Nadam(0.02, gradient_accumulation_steps=2)),
    ("Adam_accumulation_ema_schedule", lambda kl: kl.optimizers.Adam(
        kl.optimizers.schedules.ExponentialDecay(0.05, 2, 0.7), gradient_accumulation_steps=2, use_ema=True)),
    ("Lion_ema_accumulation", lambda kl: kl.optimizers.Lion(0.01, use_ema=True, gradient_accumulation_steps=2)),
]

CASES = [_case(name, optimizer) for name, optimizer in ROWS]
for case in CASES:
    case.name = case.name.replace("optimizers/", "optimizers_k3/", 1)
